// A DataProducer's properties, on FakeHandler.
import { EventEmitter } from 'eventemitter3';
import { type Transport, type types } from 'mediasoup-data-producer';

import { once, openProducer } from '@test-support/events.js';
import { channelOf, useFakeApps, fakeApp, type FakeApp } from '@test-support/fakeSession.js';

let app: FakeApp;
let transport: Transport;

beforeEach(async () => {
  app = await fakeApp();
  transport = app.transport;
});

useFakeApps();

test('dataProducer.id equals the id the app gave in the producedata callback', async () => {
  const first = await transport.produceData();
  const second = await transport.produceData();

  expect([first.id, second.id]).toEqual(app.produced.map((p) => p.id));
  expect(first.id).not.toBe(second.id);
});

test('dataProducer.sctpStreamParameters ordered by default is ordered without partial reliability', async () => {
  const dataProducer = await transport.produceData();

  expect(dataProducer.sctpStreamParameters).toEqual({ streamId: 0, ordered: true });
});

test('dataProducer.sctpStreamParameters with maxPacketLifeTime and maxRetransmits reports them as given and sends them in producedata', async () => {
  const sent: types.SctpStreamParameters[] = [];
  transport.on('producedata', ({ sctpStreamParameters }) => {
    sent.push(sctpStreamParameters);
  });

  const lifetime = await transport.produceData({ maxPacketLifeTime: 1234 });
  const retransmits = await transport.produceData({ maxRetransmits: 7 });
  const unorderedReliable = await transport.produceData({ ordered: false });

  expect(lifetime.sctpStreamParameters).toEqual({
    streamId: 0,
    ordered: false,
    maxPacketLifeTime: 1234,
  });
  expect(retransmits.sctpStreamParameters).toEqual({
    streamId: 1,
    ordered: false,
    maxRetransmits: 7,
  });
  expect(unorderedReliable.sctpStreamParameters).toEqual({ streamId: 2, ordered: false });
  expect(sent).toEqual([
    lifetime.sctpStreamParameters,
    retransmits.sctpStreamParameters,
    unorderedReliable.sctpStreamParameters,
  ]);
});

test('dataProducer.sctpStreamParameters returns a copy that callers cannot change', async () => {
  const dataProducer = await transport.produceData();

  const copy = dataProducer.sctpStreamParameters;
  copy.streamId = 99;

  expect(dataProducer.sctpStreamParameters.streamId).toBe(0);
});

test('dataProducer.readyState goes from connecting to open to closed', async () => {
  const dataProducer = await transport.produceData();

  expect(dataProducer.readyState).toBe('connecting');
  await once(dataProducer, 'open');
  expect(dataProducer.readyState).toBe('open');
  dataProducer.close();
  expect(dataProducer.readyState).toBe('closed');
});

test('dataProducer.closed is false until close() and true after', async () => {
  const dataProducer = await openProducer(transport);

  expect(dataProducer.closed).toBe(false);
  dataProducer.close();
  expect(dataProducer.closed).toBe(true);
});

test('dataProducer.label and protocol are as given and go in producedata', async () => {
  const sent: { label: string; protocol: string }[] = [];
  transport.on('producedata', ({ label, protocol }) => {
    sent.push({ label, protocol });
  });

  const named = await transport.produceData({ label: 'chat', protocol: 'json-v1' });
  const unnamed = await transport.produceData();

  expect([named.label, named.protocol]).toEqual(['chat', 'json-v1']);
  expect([unnamed.label, unnamed.protocol]).toEqual(['', '']);
  expect(sent).toEqual([
    { label: 'chat', protocol: 'json-v1' },
    { label: '', protocol: '' },
  ]);
});

test('dataProducer.bufferedAmount is 0 on an open producer with nothing sent', async () => {
  const dataProducer = await openProducer(transport);

  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer.bufferedAmountLowThreshold is 0 by default, returns what was set and sets it on the native channel', async () => {
  const dataProducer = await openProducer(transport);
  const channel = channelOf(transport, dataProducer);

  expect(dataProducer.bufferedAmountLowThreshold).toBe(0);
  dataProducer.bufferedAmountLowThreshold = 65536;
  expect(dataProducer.bufferedAmountLowThreshold).toBe(65536);
  expect(channel.bufferedAmountLowThreshold).toBe(65536);
  dataProducer.bufferedAmountLowThreshold = 0;
  expect(dataProducer.bufferedAmountLowThreshold).toBe(0);
  expect(channel.bufferedAmountLowThreshold).toBe(0);
});

test('dataProducer.bufferedAmountLowThreshold set to anything but an integer >= 0 throws TypeError and keeps the old value', async () => {
  const dataProducer = await transport.produceData();
  dataProducer.bufferedAmountLowThreshold = 100;

  for (const value of [-1, 1.5, NaN, Infinity, '10', null, undefined]) {
    expect(() => {
      dataProducer.bufferedAmountLowThreshold = value as number;
    }).toThrow(TypeError);
  }
  expect(dataProducer.bufferedAmountLowThreshold).toBe(100);
});

test('dataProducer.appData is {} by default, the given object otherwise, and can be replaced', async () => {
  const appData: types.AppData = { room: 'a', user: 1 };

  const plain = await transport.produceData();
  const withData = await transport.produceData({ appData });

  expect(plain.appData).toEqual({});
  expect(withData.appData).toBe(appData);
  withData.appData = { replaced: true };
  expect(withData.appData).toEqual({ replaced: true });
});

test.each([[null], [[]], ['x'], [new Map()]])(
  'dataProducer.appData set to %p throws TypeError and keeps the previous one',
  async (value) => {
    const dataProducer = await transport.produceData({ appData: { room: 'a' } });

    expect(() => {
      dataProducer.appData = value as unknown as { room: string };
    }).toThrow(new TypeError('appData must be a plain object'));
    expect(dataProducer.appData).toEqual({ room: 'a' });
  },
);

test('dataProducer.appData goes in producedata', async () => {
  const sent: types.AppData[] = [];
  transport.on('producedata', ({ appData }) => {
    sent.push(appData);
  });

  await transport.produceData({ appData: { room: 'a' } });

  expect(sent).toEqual([{ room: 'a' }]);
});

test('dataProducer.observer is an event emitter of its own that emits close on close()', async () => {
  const dataProducer = await openProducer(transport);
  const { observer } = dataProducer;
  const closed = once(observer, 'close');

  dataProducer.close();

  await closed;
  expect(observer).toBeInstanceOf(EventEmitter);
  expect(observer).not.toBe(dataProducer);
  expect(dataProducer.observer).toBe(observer);
});
