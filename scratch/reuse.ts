import { LocalRouter } from '../src/local-router/index.js';
import { openRawPeer } from '../test/support/rawPeer.js';
import nodeDataChannel from 'node-datachannel';
(async () => {
  const router = await LocalRouter.start();
  const peer = await openRawPeer(router);
  peer.dc.sendMessage('first');
  await router.waitForMessages(1);
  const closedAt = Date.now();
  peer.dc.onClosed(() => console.log('onClosed after own close', Date.now() - closedAt));
  peer.dc.close();
  router.closeDataProducer(peer.dataProducerId);
  const tid = (router as any).dataProducers;
  let dc2;
  try {
    dc2 = peer.pc.createDataChannel('again', { negotiated: true, id: 0 });
    console.log('recreate id 0 ok, isOpen', dc2.isOpen());
  } catch (e) { console.log('recreate threw', String(e)); }
  const transportId = [...(router as any).transports.keys()][0];
  const { id } = await router.produceData(transportId, { sctpStreamParameters: { streamId: 0, ordered: true }, label: 'again' });
  await new Promise(r => setTimeout(r, 200));
  try { dc2!.sendMessage('second'); console.log('sent second'); } catch (e) { console.log('send threw', String(e)); }
  await router.waitForMessages(1, { dataProducerId: id, timeoutMs: 3000 }).then(m => console.log('got', m[0].data.toString()), e => console.log(String(e)));
  // now: close from router side
  let remoteClosed = false;
  dc2!.onClosed(() => { remoteClosed = true; console.log('remote closed dc2'); });
  router.closeDataProducer(id);
  await new Promise(r => setTimeout(r, 500));
  console.log('remoteClosed', remoteClosed, 'isOpen', dc2!.isOpen());
  peer.close(); nodeDataChannel.cleanup();
  await router.close();
})();
