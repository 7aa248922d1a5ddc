import {
  InvalidStateError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import {
  once,
  openProducer,
  type Session,
  useSessionPerFile,
  waitForState,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

/** The router's parameters with one hex digit of its sha-256 fingerprint changed. */
async function paramsWithWrongFingerprint(): Promise<{
  params: types.TransportOptions;
  original: string;
  altered: string;
}> {
  const params = structuredClone(await session.router.createWebRtcTransport());
  const sha256 = params.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256');
  if (!sha256) throw new Error('the router gave no sha-256 fingerprint');
  const original = sha256.value;
  const digit = original.charAt(0);
  sha256.value = (digit === 'A' ? 'B' : 'A') + original.slice(1);
  return { params, original, altered: sha256.value };
}

function signalToRouter(transport: Transport): void {
  const { router } = session;
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    router.produceData(transport.id, parameters).then(callback, errback);
  });
}

function createSendTransport(options: types.TransportOptions): Transport {
  const transport = session.device.createSendTransport(options);
  session.transports.push(transport);
  return transport;
}

/**
 * A transport to the router with a wrong fingerprint whose first `producedata` is answered
 * at once, with a DataProducer the router made beforehand on stream 0: produceData() then
 * resolves before DTLS fails (on loopback that takes a few ms, more than the router's own
 * produceData()), so the DataProducer is there to report the failure.
 */
async function failingTransport(label: string): Promise<{
  transport: Transport;
  produced: types.ProduceDataParameters[];
}> {
  const { router } = session;
  const { params } = await paramsWithWrongFingerprint();
  const sctpStreamParameters = { streamId: 0, ordered: true };
  const { id } = await router.produceData(params.id, { sctpStreamParameters, label });
  const transport = createSendTransport(params);
  const produced: types.ProduceDataParameters[] = [];
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
  transport.once('producedata', (parameters, callback) => {
    produced.push(parameters);
    callback({ id });
  });
  return { transport, produced };
}

test("transport.produceData() with a wrong router fingerprint fails DTLS: connectionState 'failed', the DataProducer emits error then close, and send() throws InvalidStateError", async () => {
  const { transport, produced } = await failingTransport('doomed');
  const states: types.ConnectionState[] = [];
  transport.on('connectionstatechange', (state) => states.push(state));
  const failedAt = new Promise<number>((resolve) => {
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') resolve(performance.now());
    });
  });

  const started = performance.now();
  const dataProducer: DataProducer = await transport.produceData({ label: 'doomed' });
  const events: string[] = [];
  dataProducer.on('error', () => events.push('error'));
  dataProducer.on('close', () => events.push('close'));
  dataProducer.observer.on('close', () => events.push('observer close'));
  const errored = once(dataProducer, 'error');
  const closed = once(dataProducer, 'close');
  const [error] = (await errored) as [Error];
  const errorAt = performance.now();
  await closed;

  const failedAfter = (await failedAt) - started;
  const errorAfter = errorAt - started;
  console.info(
    `wrong fingerprint: 'failed' ${failedAfter.toFixed(1)} ms and DataProducer 'error' ` +
      `${errorAfter.toFixed(1)} ms after produceData()`,
  );
  expect(produced).toEqual([
    {
      sctpStreamParameters: { streamId: 0, ordered: true },
      label: 'doomed',
      protocol: '',
      appData: {},
    },
  ]);
  expect(states).toEqual(['connecting', 'failed']);
  expect(transport.connectionState).toBe('failed');
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toMatch(/could not connect/);
  expect(events).toEqual(['error', 'close', 'observer close']);
  expect(dataProducer.closed).toBe(true);
  expect(dataProducer.readyState).toBe('closed');
  expect(() => {
    dataProducer.send('after failure');
  }).toThrow(InvalidStateError);
  expect(errorAfter).toBeLessThan(5000);
});

test("transport.connectionState when the router closes its transport becomes 'failed', its producers close, and produceData() then rejects with InvalidStateError", async () => {
  const params = await session.router.createWebRtcTransport();
  const transport = createSendTransport(params);
  signalToRouter(transport);
  const dataProducer = await openProducer(transport, { label: 'orphan' }, 10000);
  const states: types.ConnectionState[] = [];
  transport.on('connectionstatechange', (state) => states.push(state));
  const producerClosed = once(dataProducer, 'close');

  const started = performance.now();
  session.router.closeTransport(transport.id);
  await waitForState(transport, 'failed', 20000);
  const failedAfter = performance.now() - started;
  await producerClosed;

  console.info(
    `router closed its transport: ${states.join(' → ')} after ${failedAfter.toFixed(1)} ms`,
  );
  expect(states.at(-1)).toBe('failed');
  expect(dataProducer.closed).toBe(true);
  expect(() => {
    dataProducer.send('after');
  }).toThrow(InvalidStateError);
  await expect(transport.produceData()).rejects.toThrow(InvalidStateError);
});
