import { LocalRouter } from '../../src/local-router/index.js';
import * as wrtc from '@roamhq/wrtc';
const g = globalThis as unknown as Record<string, unknown>;
for (const k of ['RTCPeerConnection','RTCSessionDescription','RTCIceCandidate','MediaStream','MediaStreamTrack','RTCRtpSender','RTCRtpReceiver','RTCRtpTransceiver','RTCDataChannel']) g[k] = (wrtc as unknown as Record<string, unknown>)[k];
import { Device } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';

async function main() {
  const router = await LocalRouter.start({ recordMessages: false });
  let n = 0, bytes = 0;
  router.on('message', (m) => { n++; bytes += m.data.length; });
  const device = new Device({ handlerFactory: Chrome111.createFactory() });
  await device.load({ routerRtpCapabilities: router.rtpCapabilities as never });
  console.log('sctp', device.sctpCapabilities);
  const p = await router.createWebRtcTransport({ numSctpStreams: device.sctpCapabilities.numStreams });
  const t = device.createSendTransport(p as never);
  t.on('connect', ({ dtlsParameters }, cb, eb) => { router.connect(t.id, { dtlsParameters }).then(cb, eb); });
  t.on('producedata', (params, cb, eb) => { router.produceData(t.id, params).then(cb, eb); });
  t.on('connectionstatechange', (s) => console.log('state', s));
  const dp = await t.produceData({ ordered: true, label: 'x' });
  await new Promise<void>((r) => { if (dp.readyState === 'open') r(); else dp.on('open', () => r()); });
  console.log('open');
  const tmpl = Buffer.alloc(16384, 7);
  dp.bufferedAmountLowThreshold = 256*1024;
  let lows = 0; let polls = 0; let waited = 0; dp.on('bufferedamountlow', () => lows++);
  const t0 = performance.now(); let sent = 0;
  while (performance.now() - t0 < 2000) {
    if (dp.bufferedAmount >= 1<<20) { polls++; const tw = performance.now(); while (dp.bufferedAmount > 256*1024) await new Promise(r => setTimeout(r, 2)); waited += performance.now()-tw; continue; }
    dp.send(Buffer.from(tmpl)); sent++;
    if (sent % 64 === 0) await new Promise(r => setImmediate(r));
  }
  await new Promise(r => setTimeout(r, 1000));
  console.log({ polls, waited, sent, n, bytes, lows, ba: dp.bufferedAmount, mbps: bytes/2e6 });
  dp.close(); t.close();
  await router.close();
  console.log('closed', process.getActiveResourcesInfo());
}
main().catch((e) => { console.error(e); process.exit(1); });
