import {
  InvalidStateError,
  OperationError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { once, type Session, useSessionPerFile } from '../support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

type Callback = (result: { id: string }) => void;
type Errback = (error: Error) => void;

async function newTransport(options: Partial<types.TransportOptions> = {}): Promise<Transport> {
  const params = await session.router.createWebRtcTransport();
  const transport = session.device.createSendTransport({ ...params, ...options });
  session.transports.push(transport);
  return transport;
}

/** `connect` answered by the local router. */
function routerConnect(transport: Transport): void {
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    session.router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
}

/** `producedata` answered by the local router; records what it was given. */
function routerProduceData(transport: Transport): types.ProduceDataParameters[] {
  const seen: types.ProduceDataParameters[] = [];
  transport.on('producedata', (parameters, callback, errback) => {
    seen.push(parameters);
    session.router.produceData(transport.id, parameters).then(callback, errback);
  });
  return seen;
}

async function sendAndReceive(dataProducer: DataProducer, text: string): Promise<string> {
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
  dataProducer.send(text);
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  return message?.data.toString() ?? '';
}

describe("'producedata' answers", () => {
  test('transport.produceData() whose producedata errback is called rejects with that error and the next produceData() takes the next stream id and delivers', async () => {
    const transport = await newTransport();
    routerConnect(transport);
    const produced = routerProduceData(transport);
    const first = await transport.produceData({ label: 'first' });
    expect(await sendAndReceive(first, 'association up')).toBe('association up');
    const refused = new Error('the server said no');
    transport.removeAllListeners('producedata');
    const refusedStreamIds: number[] = [];
    transport.once('producedata', ({ sctpStreamParameters }, _callback, errback) => {
      refusedStreamIds.push(sctpStreamParameters.streamId);
      errback(refused);
    });

    await expect(transport.produceData({ label: 'refused' })).rejects.toBe(refused);
    routerProduceData(transport);
    const next = await transport.produceData({ label: 'accepted' });

    expect(produced).toHaveLength(1);
    expect(refusedStreamIds).toEqual([1]);
    expect(next.sctpStreamParameters.streamId).toBe(2);
    expect(await sendAndReceive(next, 'after a refusal')).toBe('after a refusal');
  });

  test('transport.produceData() whose producedata errback comes before the SCTP association is up rejects with that error and the next produceData() delivers', async () => {
    const transport = await newTransport();
    routerConnect(transport);
    const refused = new Error('the server said no');
    transport.once('producedata', (_parameters, _callback, errback) => {
      errback(refused);
    });

    await expect(transport.produceData({ label: 'refused' })).rejects.toBe(refused);
    routerProduceData(transport);
    const next = await transport.produceData({ label: 'accepted' });

    expect(await sendAndReceive(next, 'after an early errback')).toBe('after an early errback');
    const closed = once(next, 'close');
    session.router.closeDataProducer(next.id);
    await closed;
  });

  test.each([
    ['no argument', undefined],
    ['{}', {}],
    ["{ id: '' }", { id: '' }],
    ['{ id: 5 }', { id: 5 }],
    ["'id'", 'id'],
  ])(
    'transport.produceData() whose producedata callback gets %s rejects with TypeError',
    async (_label, result) => {
      const transport = await newTransport();
      routerConnect(transport);
      transport.on('producedata', (_parameters, callback) => {
        (callback as (result: unknown) => void)(result);
      });

      await expect(transport.produceData()).rejects.toThrow(
        new TypeError('the producedata callback must be called with { id: string }'),
      );
    },
  );

  test('transport.produceData() whose producedata callback is called twice resolves once with the first id and the second call is ignored', async () => {
    const transport = await newTransport();
    routerConnect(transport);
    const lateCalls: unknown[] = [];
    const produced: DataProducer[] = [];
    transport.observer.on('newdataproducer', (dataProducer: DataProducer) =>
      produced.push(dataProducer),
    );
    transport.on('producedata', (parameters, callback, errback) => {
      void session.router.produceData(transport.id, parameters).then((result) => {
        callback(result);
        try {
          callback({ id: 'second' });
          errback(new Error('after callback'));
          lateCalls.push('no throw');
        } catch (error) {
          lateCalls.push(error);
        }
      });
    });

    const dataProducer = await transport.produceData();
    await new Promise((resolve) => setImmediate(resolve));

    expect(lateCalls).toEqual(['no throw']);
    expect(session.router.hasDataProducer(dataProducer.id)).toBe(true);
    expect(produced).toEqual([dataProducer]);
    expect(await sendAndReceive(dataProducer, 'once')).toBe('once');
  });

  test('transport.produceData() whose producedata is answered after transport.close() rejects with InvalidStateError and the late callback is ignored', async () => {
    const transport = await newTransport();
    routerConnect(transport);
    const answers: { callback: Callback; errback: Errback }[] = [];
    const asked = once(transport, 'producedata');
    transport.on('producedata', (_parameters, callback, errback) =>
      answers.push({ callback, errback }),
    );
    const produced: DataProducer[] = [];
    transport.observer.on('newdataproducer', (dataProducer: DataProducer) =>
      produced.push(dataProducer),
    );

    const result = transport.produceData();
    await asked;
    transport.close();
    await expect(result).rejects.toThrow(InvalidStateError);

    expect(() => answers[0]?.callback({ id: 'too-late' })).not.toThrow();
    expect(() => answers[0]?.errback(new Error('too late'))).not.toThrow();
    expect(produced).toEqual([]);
  });
});

describe("'connect' answers", () => {
  test('transport.produceData() whose connect errback is called rejects with that error; the next produceData() emits connect again and delivers', async () => {
    const transport = await newTransport();
    const refused = new Error('cannot connect now');
    const connects: types.DtlsParameters[] = [];
    transport.once('connect', ({ dtlsParameters }, _callback, errback) => {
      connects.push(dtlsParameters);
      errback(refused);
    });
    routerProduceData(transport);

    await expect(transport.produceData()).rejects.toBe(refused);
    expect(transport.connectionState).toBe('new');
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      connects.push(dtlsParameters);
      session.router.connect(transport.id, { dtlsParameters }).then(callback, errback);
    });
    const dataProducer = await transport.produceData();

    expect(connects).toHaveLength(2);
    expect(connects[1]).toEqual(connects[0]);
    expect(await sendAndReceive(dataProducer, 'second connect')).toBe('second connect');
  });

  test('transport.produceData() whose connect callback is called twice resolves and the second call is ignored', async () => {
    const transport = await newTransport();
    const lateCalls: unknown[] = [];
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      void session.router.connect(transport.id, { dtlsParameters }).then(() => {
        callback();
        try {
          callback();
          errback(new Error('after callback'));
          lateCalls.push('no throw');
        } catch (error) {
          lateCalls.push(error);
        }
      });
    });
    routerProduceData(transport);

    const dataProducer = await transport.produceData();

    expect(lateCalls).toEqual(['no throw']);
    expect(await sendAndReceive(dataProducer, 'connected once')).toBe('connected once');
  });
});

describe('signalingTimeout', () => {
  test('transport.produceData() whose producedata is never answered rejects with OperationError after signalingTimeout ms, and the next produceData() delivers', async () => {
    const transport = await newTransport({ signalingTimeout: 300 });
    routerConnect(transport);
    const asked = once(transport, 'producedata');
    transport.once('producedata', () => undefined);

    const started = performance.now();
    const result = transport.produceData();
    await asked;
    await expect(result).rejects.toThrow(OperationError);
    const elapsed = performance.now() - started;
    routerProduceData(transport);
    const dataProducer = await transport.produceData();

    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    await expect(result).rejects.toThrow(/"producedata" was not answered within 300 ms/);
    expect(dataProducer.sctpStreamParameters.streamId).toBe(1);
    expect(await sendAndReceive(dataProducer, 'after a timeout')).toBe('after a timeout');
  });

  test('transport.produceData() whose connect is never answered rejects with OperationError after signalingTimeout ms', async () => {
    const transport = await newTransport({ signalingTimeout: 300 });
    const asked = once(transport, 'connect');
    transport.on('connect', () => undefined);
    routerProduceData(transport);

    const started = performance.now();
    const result = transport.produceData();
    await asked;
    await expect(result).rejects.toThrow(OperationError);
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    await expect(result).rejects.toThrow(/"connect" was not answered within 300 ms/);
  });

  test('transport.produceData() answered just within signalingTimeout resolves', async () => {
    const transport = await newTransport({ signalingTimeout: 300 });
    routerConnect(transport);
    transport.on('producedata', (parameters, callback, errback) => {
      setTimeout(() => {
        session.router.produceData(transport.id, parameters).then(callback, errback);
      }, 100);
    });

    const dataProducer = await transport.produceData();

    expect(dataProducer.id).not.toBe('');
  });
});
