// The router process is killed (SIGKILL, as a crash or an OOM kill would) while data flows.
import { InvalidStateError, OperationError, type DataProducer } from 'mediasoup-data-producer';

import { runFixture } from '@test-support/faults.js';
import {
  createTransport,
  startSession,
  type Session,
  openProducer,
  waitUntil,
} from '@test-support/session.js';

jest.setTimeout(90000);

/**
 * Measured (docs/failure-behaviour.md): with messages in flight, SCTP gives up and the
 * transport reports 'disconnected' then 'failed' ~13 s after the kill. The bound leaves room
 * for a loaded machine.
 */
const KILL_DETECTION_BOUND_MS = 25000;
/** After transport.close(), the child process must be gone within this. */
const EXIT_BOUND_MS = 5000;

let session: Session | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface KillReport {
  states: { state: string; atMs: number }[];
  producers: { label: string; events: string[] }[];
  sendErrors: Record<string, number>;
  producersClosedAtMs: number | null;
  sendAfterClose: string[];
  produceDataError: string | null;
  connectionState: string;
}

test('the router worker is SIGKILLed mid-stream: the transport reaches disconnected/failed within the bound, every producer emits close, send() and produceData() fail with errors, nothing escapes, and the process exits on its own after transport.close()', async () => {
  // The same scenario in a child process against the built package, run alongside: only
  // there can "the process exits on its own" be observed.
  const child = runFixture('killRouter.cjs', {
    env: { KILL_DETECTION_BOUND_MS: String(KILL_DETECTION_BOUND_MS) },
    timeoutMs: KILL_DETECTION_BOUND_MS + 40000,
  });

  const current = (session = await startSession());
  const transport = await createTransport(current, { client: { signalingTimeout: 5000 } });
  const producers = [
    await openProducer(transport, { label: 'reliable' }),
    await openProducer(transport, { label: 'unreliable', maxRetransmits: 0 }),
    await openProducer(transport, { label: 'quiet' }),
  ];
  const events = producers.map((dataProducer: DataProducer) => {
    const names: string[] = [];
    for (const name of ['open', 'close', 'transportclose', 'error'] as const) {
      dataProducer.on(name, () => names.push(name));
    }
    dataProducer.observer.on('close', () => names.push('observer:close'));
    return names;
  });
  const states: { state: string; atMs: number }[] = [];
  const sendErrors: unknown[] = [];
  const busy = producers.slice(0, 2);
  const pump = setInterval(() => {
    for (const dataProducer of busy) {
      try {
        dataProducer.send(Buffer.alloc(1000));
      } catch (error) {
        sendErrors.push(error);
      }
    }
  }, 20);
  await current.router.waitForMessages(10);

  const workerPid = current.router.workerPid;
  const killedAt = Date.now();
  transport.on('connectionstatechange', (state) => {
    states.push({ state, atMs: Date.now() - killedAt });
  });
  process.kill(workerPid, 'SIGKILL');

  try {
    await waitUntil(
      () => producers.every((p) => p.closed),
      KILL_DETECTION_BOUND_MS,
      'every producer closed after the kill',
      50,
    );
  } finally {
    clearInterval(pump);
  }
  const closedMs = Date.now() - killedAt;

  expect(states.length).toBeGreaterThan(0);
  expect(['disconnected', 'failed']).toContain(states[0]?.state);
  expect(states[0]?.atMs).toBeLessThan(KILL_DETECTION_BOUND_MS);
  for (const names of events) expect(names).toEqual(['close', 'observer:close']);
  // While it was failing, send() only ever threw OperationError (full) or InvalidStateError.
  expect(
    sendErrors.every((e) => e instanceof OperationError || e instanceof InvalidStateError),
  ).toBe(true);
  for (const dataProducer of producers) {
    expect(() => {
      dataProducer.send('after the kill');
    }).toThrow(InvalidStateError);
    expect(dataProducer.bufferedAmount).toBe(0);
  }
  // libdatachannel tears the dead peer connection down right after 'disconnected': the
  // transport is 'failed', and produceData() refuses at once.
  await waitUntil(() => transport.connectionState === 'failed', 2000, 'failed');
  expect(states.map((s) => s.state)).toEqual(
    states.length === 1 ? ['failed'] : ['disconnected', 'failed'],
  );
  await expect(transport.produceData({ label: 'after-kill' })).rejects.toThrow(InvalidStateError);

  transport.close();
  expect(transport.connectionState).toBe('closed');
  // The LocalRouter of a dead worker still closes cleanly.
  const closeStart = Date.now();
  await current.close();
  session = undefined;
  expect(Date.now() - closeStart).toBeLessThan(5000);
  expect(isAlive(workerPid)).toBe(false);

  const run = await child;
  expect({ code: run.code, timedOut: run.timedOut, stderr: run.stderr }).toEqual({
    code: 0,
    timedOut: false,
    stderr: '',
  });
  // The fixture prints one report, with every field set.
  expect(run.reports.map((r) => r.value)).toEqual([
    {
      states: expect.any(Array) as unknown,
      producers: [
        { label: 'reliable', events: ['close'] },
        { label: 'unreliable', events: ['close'] },
      ],
      sendErrors: expect.any(Object) as unknown,
      producersClosedAtMs: expect.any(Number) as unknown,
      sendAfterClose: ['InvalidStateError', 'InvalidStateError'],
      produceDataError: expect.stringMatching(/^InvalidStateError: /) as unknown,
      connectionState: 'closed',
    },
  ]);
  // Its shape is checked just above.
  const [report] = run.reports as [{ value: KillReport; at: number }];
  const childReport = report.value;
  expect(childReport.producersClosedAtMs).toBeGreaterThanOrEqual(0);
  expect(childReport.producersClosedAtMs).toBeLessThanOrEqual(KILL_DETECTION_BOUND_MS);
  expect(childReport.states.map((s) => s.state)).toEqual(
    childReport.states.length === 1 ? ['failed'] : ['disconnected', 'failed'],
  );
  // As in this process: send() only ever threw OperationError (full) or InvalidStateError.
  for (const [name, count] of Object.entries(childReport.sendErrors)) {
    expect(['OperationError', 'InvalidStateError']).toContain(name);
    expect(count).toBeGreaterThanOrEqual(1);
  }
  const exitMs = run.exitedAt - report.at;
  expect(exitMs).toBeLessThan(EXIT_BOUND_MS);

  console.info(
    `[router killed] in-process: ${states[0]?.state} at ${states[0]?.atMs} ms, producers ` +
      `closed at ${closedMs} ms; child: ${JSON.stringify(childReport.states)}, producers ` +
      `closed at ${childReport.producersClosedAtMs} ms, exited ${exitMs} ms after transport.close()`,
  );
});

test('the router restarts gracefully (its worker is closed) mid-stream: the transport fails within a second, every producer emits close, produceData() rejects with InvalidStateError', async () => {
  const current = (session = await startSession());
  const transport = await createTransport(current);
  const producers = [
    await openProducer(transport, { label: 'reliable' }),
    await openProducer(transport, { label: 'unreliable', maxPacketLifeTime: 100 }),
  ];
  const events = producers.map((dataProducer: DataProducer) => {
    const names: string[] = [];
    for (const name of ['close', 'transportclose', 'error'] as const) {
      dataProducer.on(name, () => names.push(name));
    }
    return names;
  });
  const states: { state: string; atMs: number }[] = [];
  const pump = setInterval(() => {
    for (const dataProducer of producers) {
      try {
        dataProducer.send('tick');
      } catch {
        // InvalidStateError once closed.
      }
    }
  }, 10);
  await current.router.waitForMessages(10);

  const closedAt = Date.now();
  transport.on('connectionstatechange', (state) => {
    states.push({ state, atMs: Date.now() - closedAt });
  });
  await current.router.close();
  try {
    await waitUntil(() => transport.connectionState === 'failed', 5000, 'failed', 10);
  } finally {
    clearInterval(pump);
  }

  expect(states.at(-1)?.state).toBe('failed');
  for (const names of events) expect(names).toEqual(['close']);
  for (const dataProducer of producers) {
    expect(() => {
      dataProducer.send('late');
    }).toThrow(InvalidStateError);
  }
  await expect(transport.produceData()).rejects.toThrow(InvalidStateError);
  transport.close();
  console.info(`[router closed gracefully] ${JSON.stringify(states)}`);
});
