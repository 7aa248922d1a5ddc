// The engine configuration and the scenario steps are checked before any bot starts, and a
// bad value names its field.

import {
  ConfigError,
  DEFAULTS,
  MediasoupDataEngine,
  parseEngineConfig,
  parseFlow,
  type ArtilleryHelpers,
} from 'artillery-engine-mediasoup-data';

const WS = { signaling: 'websocket', signalingUrl: 'ws://127.0.0.1:3000' };

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('parseEngineConfig()', () => {
  test('parseEngineConfig() with the websocket adapter and a URL applies the defaults', () => {
    expect(parseEngineConfig(WS, {})).toEqual({
      signaling: 'websocket',
      signalingUrl: 'ws://127.0.0.1:3000',
      connectTimeoutMs: DEFAULTS.connectTimeoutMs,
      requestTimeoutMs: DEFAULTS.requestTimeoutMs,
      highWaterMark: DEFAULTS.highWaterMark,
      room: undefined,
      roomSize: undefined,
      sctpSettings: 'router-friendly',
    });
  });

  test('parseEngineConfig() reads sctpSettings: libdatachannel', () => {
    expect(parseEngineConfig({ ...WS, sctpSettings: 'libdatachannel' }, {}).sctpSettings).toBe(
      'libdatachannel',
    );
  });

  test('parseEngineConfig() reads room (a template) and roomSize', () => {
    const config = parseEngineConfig({ ...WS, room: 'r-{{ n }}', roomSize: '4' }, {});
    expect({ room: config.room, roomSize: config.roomSize }).toEqual({
      room: 'r-{{ n }}',
      roomSize: 4,
    });
  });

  test('parseEngineConfig() without signalingUrl takes MDP_SIGNALING_URL', () => {
    const config = parseEngineConfig({ signaling: 'websocket' }, { MDP_SIGNALING_URL: 'ws://h:1' });
    expect(config.signalingUrl).toBe('ws://h:1');
  });

  test('parseEngineConfig() with a templated URL leaves it for each bot', () => {
    const url = 'ws://{{ host }}:3000/?peer={{ $botId }}';
    expect(parseEngineConfig({ signaling: 'websocket', signalingUrl: url }, {}).signalingUrl).toBe(
      url,
    );
  });

  test.each([
    [undefined, /^config\.engines\.mediasoup-data: missing/],
    [{}, /^config\.engines\.mediasoup-data\.signaling: expected a string, got nothing/],
    [
      { signaling: 'websocket' },
      /^config\.engines\.mediasoup-data\.signalingUrl: the websocket adapter needs/,
    ],
    [
      { ...WS, signalingUrl: 'http://h' },
      /^config\.engines\.mediasoup-data\.signalingUrl: expected a ws:/,
    ],
    [{ signaling: 'local' }, /^config\.engines\.mediasoup-data\.signaling: "local"/],
    [{ ...WS, roomSize: 0 }, /^config\.engines\.mediasoup-data\.roomSize: expected an integer/],
    [
      { ...WS, sctpSettings: 'fast' },
      /^config\.engines\.mediasoup-data\.sctpSettings: expected router-friendly or libdatachannel, got "fast"/,
    ],
    [{ ...WS, room: ' ' }, /^config\.engines\.mediasoup-data\.room: expected a non-empty/],
    [
      { ...WS, connectTimeout: 0 },
      /^config\.engines\.mediasoup-data\.connectTimeout: expected a number > 0/,
    ],
    [
      { ...WS, highWaterMark: 1.5 },
      /^config\.engines\.mediasoup-data\.highWaterMark: expected an integer/,
    ],
    [
      { ...WS, signalingURL: 'x' },
      /^config\.engines\.mediasoup-data\.signalingURL: unknown option/,
    ],
  ])('parseEngineConfig() with %j throws naming the field', (config, message) => {
    const error = errorOf(() => parseEngineConfig(config, {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
  });
});

describe('parseFlow()', () => {
  test('parseFlow() of every step reads their options with defaults', () => {
    const steps = parseFlow([
      { connect: {} },
      { produceData: { label: 'chat', ordered: false, maxRetransmits: 2 } },
      { send: { count: 5, rate: 10, size: '64' } },
      { think: 1, jitter: '10%' },
      { loop: [{ send: { duration: 0.5, payload: 'hi {{ $seq }}' } }], count: 3 },
      { function: 'setUp' },
      { log: 'bot {{ $botId }}' },
      { close: null },
    ]);
    expect(steps).toEqual([
      { kind: 'connect', timeoutMs: undefined },
      {
        kind: 'produceData',
        label: 'chat',
        protocol: '',
        ordered: false,
        maxRetransmits: 2,
        maxPacketLifeTime: undefined,
      },
      {
        kind: 'send',
        label: undefined,
        count: 5,
        durationMs: undefined,
        rate: 10,
        size: 64,
        payload: undefined,
        binary: true,
      },
      { kind: 'think', spec: { think: 1, jitter: '10%' } },
      {
        kind: 'loop',
        steps: [
          {
            kind: 'send',
            label: undefined,
            count: undefined,
            durationMs: 500,
            rate: undefined,
            size: DEFAULTS.size,
            payload: 'hi {{ $seq }}',
            binary: false,
          },
        ],
        count: 3,
        over: undefined,
        whileTrue: undefined,
        loopValue: undefined,
      },
      { kind: 'function', name: 'setUp' },
      { kind: 'log', message: 'bot {{ $botId }}' },
      { kind: 'close' },
    ]);
  });

  test.each([
    [[{ send: {} }], /^flow\[0\]\.send: give count \(messages\) or duration \(seconds\)$/],
    [
      [{ send: { count: 1, duration: 1 } }],
      /^flow\[0\]\.send\.duration: give count or duration, not both$/,
    ],
    [[{ send: { count: 0 } }], /^flow\[0\]\.send\.count: expected an integer from 1/],
    [
      [{ send: { count: 1, rate: 'fast' } }],
      /^flow\[0\]\.send\.rate: expected a number > 0 .*got "fast"$/,
    ],
    [
      [{ send: { count: 1, size: 8 } }],
      /^flow\[0\]\.send\.size: expected an integer from 16 to 1048576, got 8$/,
    ],
    [
      [{ send: { count: 1, size: 64, payload: 'x' } }],
      /^flow\[0\]\.send\.size: give size .* or payload, not both$/,
    ],
    [[{ send: { count: 1, binary: 'yes' } }], /^flow\[0\]\.send\.binary: expected true or false/],
    [
      [{ send: { count: 1, sise: 64 } }],
      /^flow\[0\]\.send\.sise: unknown option \(known: count, duration/,
    ],
    [
      [{ connect: {} }, { produceData: { maxRetransmits: 70000 } }],
      /^flow\[1\]\.produceData\.maxRetransmits: expected an integer from 0 to 65535/,
    ],
    [
      [{ produceData: { maxRetransmits: 1, maxPacketLifeTime: 1 } }],
      /^flow\[0\]\.produceData\.maxPacketLifeTime: give maxRetransmits or maxPacketLifeTime, not both$/,
    ],
    [[{ produceData: { label: 7 } }], /^flow\[0\]\.produceData\.label: expected a string, got 7$/],
    [[{ connect: { timeout: -1 } }], /^flow\[0\]\.connect\.timeout: expected a number > 0/],
    [[{ connect: {}, rate: 1 }], /^flow\[0\]\.rate: not an option of connect/],
    [
      [{ sned: { count: 1 } }],
      /^flow\[0\]: unknown step "sned" \(known: connect, produceData, send/,
    ],
    [[{ send: { count: 1 }, close: {} }], /^flow\[0\]: one step per item, got send and close$/],
    [[{ think: 'soon-ish', jitter: {} }], /^flow\[0\]\.jitter: expected a number or a percentage/],
    [
      [{ loop: [{ send: { count: 1, rate: 0 } }], count: 2 }],
      /^flow\[0\]\.loop\[0\]\.send\.rate: expected a number > 0/,
    ],
    [[{ loop: { send: {} } }], /^flow\[0\]\.loop: expected a list of steps/],
    ['connect', /^flow: expected a list of steps, got "connect"$/],
  ])('parseFlow() of %j throws naming the field', (flow, message) => {
    const error = errorOf(() => parseFlow(flow));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
  });

  test('parseFlow() of consumeData and waitForMessages applies their defaults', () => {
    expect(
      parseFlow([
        { consumeData: {} },
        { consumeData: { count: 3, timeout: 2, watch: false, pollInterval: 0.1 } },
        { waitForMessages: null },
        { waitForMessages: { count: 40, timeout: 5 } },
        { waitForMessages: { idle: 0.5 } },
      ]),
    ).toEqual([
      {
        kind: 'consumeData',
        count: undefined,
        timeoutMs: undefined,
        watch: true,
        pollIntervalMs: DEFAULTS.pollIntervalMs,
      },
      { kind: 'consumeData', count: 3, timeoutMs: 2000, watch: false, pollIntervalMs: 100 },
      {
        kind: 'waitForMessages',
        count: undefined,
        idleMs: DEFAULTS.idleMs,
        timeoutMs: DEFAULTS.waitTimeoutMs,
      },
      { kind: 'waitForMessages', count: 40, idleMs: DEFAULTS.idleMs, timeoutMs: 5000 },
      { kind: 'waitForMessages', count: undefined, idleMs: 500, timeoutMs: DEFAULTS.waitTimeoutMs },
    ]);
  });

  test.each([
    [
      [{ consumeData: { count: -1 } }],
      /^flow\[0\]\.consumeData\.count: expected an integer from 0/,
    ],
    [[{ consumeData: { count: 1.5 } }], /^flow\[0\]\.consumeData\.count: expected an integer/],
    [[{ consumeData: { timeout: 0 } }], /^flow\[0\]\.consumeData\.timeout: expected a number > 0/],
    [[{ consumeData: { watch: 'yes' } }], /^flow\[0\]\.consumeData\.watch: expected true or false/],
    [
      [{ consumeData: { pollInterval: 0 } }],
      /^flow\[0\]\.consumeData\.pollInterval: expected a number from 0\.01/,
    ],
    [
      [{ consumeData: { room: 'x' } }],
      /^flow\[0\]\.consumeData\.room: unknown option \(known: count, timeout, watch, pollInterval\)/,
    ],
    [
      [{ waitForMessages: { count: 0 } }],
      /^flow\[0\]\.waitForMessages\.count: expected an integer from 1/,
    ],
    [
      [{ waitForMessages: { count: 1, idle: 1 } }],
      /^flow\[0\]\.waitForMessages\.idle: give count .* or idle .*, not both$/,
    ],
    [
      [{ loop: [{ waitForMessages: { timeout: 'long' } }], count: 2 }],
      /^flow\[0\]\.loop\[0\]\.waitForMessages\.timeout: expected a number > 0/,
    ],
  ])('parseFlow() of %j throws naming the field', (flow, message) => {
    const error = errorOf(() => parseFlow(flow));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
  });

  test('parseFlow() with a scenario name puts it before the field', () => {
    expect(errorOf(() => parseFlow([{ send: {} }], '"bots"')).message).toBe(
      'scenario "bots": flow[0].send: give count (messages) or duration (seconds)',
    );
  });
});

describe('MediasoupDataEngine', () => {
  const helpers = {} as ArtilleryHelpers;

  test('new MediasoupDataEngine() without config.engines.mediasoup-data throws naming it', () => {
    expect(() => new MediasoupDataEngine({ config: {} }, undefined, helpers)).toThrow(
      /^config\.engines\.mediasoup-data: missing/,
    );
  });

  test('createScenario() with a bad step throws naming the scenario and the field', () => {
    const script = { config: { engines: { 'mediasoup-data': WS } }, scenarios: [] };
    const engine = new MediasoupDataEngine(script, undefined, helpers);
    const emitter = { emit: () => true };
    expect(() =>
      engine.createScenario({ name: 'bots', flow: [{ send: { count: -1 } }] }, emitter),
    ).toThrow(/^scenario "bots": flow\[0\]\.send\.count: expected an integer from 1/);
  });

  test('createScenario() with a consumeData step but neither room nor roomSize throws', () => {
    const script = { config: { engines: { 'mediasoup-data': WS } }, scenarios: [] };
    const engine = new MediasoupDataEngine(script, undefined, helpers);
    const emitter = { emit: () => true };
    expect(() =>
      engine.createScenario(
        { name: 'peers', flow: [{ loop: [{ consumeData: {} }], count: 1 }] },
        emitter,
      ),
    ).toThrow(
      /^scenario "peers": a consumeData step consumes the bot's room: set .*room or roomSize/,
    );
    const withRoom = new MediasoupDataEngine(
      { config: { engines: { 'mediasoup-data': { ...WS, roomSize: 3 } } }, scenarios: [] },
      undefined,
      helpers,
    );
    expect(typeof withRoom.createScenario({ flow: [{ consumeData: {} }] }, emitter)).toBe(
      'function',
    );
  });
});
