// main() in this process, with a stand-in for the process's signals: a second Ctrl-C is
// handed to the caller, and main() itself never ends the process.

import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';

import { main } from '../../src/cli.js';
import { startFakeWsServer, type FakeWsServer } from '@test-support/fakeWsServer.js';

let server: FakeWsServer;

beforeEach(async () => {
  server = await startFakeWsServer();
});

afterEach(async () => {
  await server.close();
  jest.restoreAllMocks();
});

function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  return { stream, text: () => text };
}

// main() runs in this process: libdatachannel's own SCTP settings stay those of the jest
// process, which the suites after this one rely on (they are process-wide).
const KEEP_SCTP_SETTINGS = ['--sctp-settings', 'libdatachannel'];

describe('main()', () => {
  test.each([
    ['load', 'stopping, closing every transport'],
    ['capacity', 'stopping the search, closing every transport'],
  ])(
    '%s when a second SIGINT comes while the run is closing calls onSecondSignal and never process.exit()',
    async (command, stopping) => {
      const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
      const signals = new EventEmitter();
      const err = capture();
      let secondSignal!: (signal: NodeJS.Signals) => void;
      const gotSecondSignal = new Promise<NodeJS.Signals>((resolve) => {
        secondSignal = resolve;
      });

      // An app that never answers: the run cannot end by itself before the request timeout.
      const exitCode = main(
        [
          ...['node', 'mediasoup-data-producer', command, '--signaling', 'websocket'],
          ...['--signaling-url', server.url, '-t', '1', '-d', '60', '--no-report', '--no-progress'],
          ...KEEP_SCTP_SETTINGS,
        ],
        { out: capture().stream as unknown as NodeJS.WriteStream, err: err.stream },
        { signals, onSecondSignal: secondSignal },
      );
      await server.nextRequest();
      signals.emit('SIGINT', 'SIGINT');
      signals.emit('SIGINT', 'SIGINT');
      await expect(gotSecondSignal).resolves.toBe('SIGINT');

      // The app goes away, so the interrupted run can finish closing.
      await server.close();
      await expect(exitCode).resolves.toBe(130);
      expect(exit).not.toHaveBeenCalled();
      expect(err.text()).toContain(`SIGINT: ${stopping} (again to exit at once)`);
      expect(signals.listenerCount('SIGINT')).toBe(0);
      expect(signals.listenerCount('SIGTERM')).toBe(0);
    },
  );

  test('when a second SIGTERM comes and no onSecondSignal is given goes on closing', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const signals = new EventEmitter();
    const err = capture();
    const exitCode = main(
      [
        ...['node', 'mediasoup-data-producer', 'load', '--signaling', 'websocket'],
        ...['--signaling-url', server.url, '-t', '1', '-d', '60', '--no-report', '--no-progress'],
        ...KEEP_SCTP_SETTINGS,
      ],
      { out: capture().stream as unknown as NodeJS.WriteStream, err: err.stream },
      { signals },
    );
    await server.nextRequest();
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGTERM', 'SIGTERM');
    await server.close();
    await expect(exitCode).resolves.toBe(130);
    expect(exit).not.toHaveBeenCalled();
    expect(err.text()).toMatch(
      /SIGTERM: stopping, closing every transport\n[^]*SIGTERM again: still closing/,
    );
  });
});
