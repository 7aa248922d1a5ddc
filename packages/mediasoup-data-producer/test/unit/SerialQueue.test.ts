import { SerialQueue } from '../../src/SerialQueue.js';

/** A task that runs when the queue starts it and settles when the test says so. */
function held<T>(log: string[], name: string) {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const settled = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    task: (): Promise<T> => {
      log.push(`start ${name}`);
      return settled;
    },
    resolve,
    reject,
  };
}

/** Lets every pending promise callback run. */
async function turns(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('SerialQueue', () => {
  test('serialQueue.push() with an idle queue starts the task on a later microtask and resolves with its result', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];

    const result = queue.push(() => {
      log.push('run');
      return Promise.resolve(42);
    });
    expect(log).toEqual([]);

    expect(await result).toBe(42);
    expect(log).toEqual(['run']);
  });

  test('serialQueue.push() behind a running task starts only once that task has settled, in push order', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const first = held<string>(log, 'first');
    const second = held<string>(log, 'second');
    const third = held<string>(log, 'third');

    const results = [first, second, third].map((t) => queue.push(t.task));
    await turns();
    expect(log).toEqual(['start first']);

    second.resolve('b');
    third.resolve('c');
    await turns();
    expect(log).toEqual(['start first']);

    first.resolve('a');
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start first', 'start second', 'start third']);
  });

  test('serialQueue.push() behind a task that rejects still runs, and each caller gets its own outcome', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const failing = held<string>(log, 'failing');
    const next = held<string>(log, 'next');

    const failed = queue.push(failing.task);
    const after = queue.push(next.task);
    failing.reject(new Error('first failed'));
    next.resolve('fine');

    await expect(failed).rejects.toThrow(new Error('first failed'));
    await expect(after).resolves.toBe('fine');
    expect(log).toEqual(['start failing', 'start next']);
  });

  test('serialQueue.push() behind a task that throws synchronously still runs', async () => {
    const queue = new SerialQueue();

    const thrown = queue.push((): Promise<number> => {
      throw new TypeError('thrown at once');
    });
    const after = queue.push(() => Promise.resolve(7));

    await expect(thrown).rejects.toThrow(new TypeError('thrown at once'));
    await expect(after).resolves.toBe(7);
  });

  test('serialQueue.push() of a task pushed by a running task runs after it and after those pushed before', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    let inner: Promise<void> | undefined;

    const outer = queue.push(() => {
      log.push('outer');
      inner = queue.push(() => {
        log.push('inner');
        return Promise.resolve();
      });
      return Promise.resolve();
    });
    const queued = queue.push(() => {
      log.push('queued');
      return Promise.resolve();
    });
    await outer;
    await queued;
    await inner;

    expect(log).toEqual(['outer', 'queued', 'inner']);
  });
});
