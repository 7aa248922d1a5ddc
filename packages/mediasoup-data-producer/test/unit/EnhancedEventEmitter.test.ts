import { EnhancedEventEmitter } from '../../src/EnhancedEventEmitter.js';

type TestEvents = { ping: [number] };

test('safeEmit() with a throwing listener does not throw to the emitter', () => {
  const emitter = new EnhancedEventEmitter<TestEvents>();
  emitter.on('ping', () => {
    throw new Error('listener bug');
  });

  expect(emitter.safeEmit('ping', 1)).toBe(true);
});

test('safeEmit() calls a once() listener only once', () => {
  const emitter = new EnhancedEventEmitter<TestEvents>();
  const seen: number[] = [];
  emitter.once('ping', (n) => seen.push(n));

  emitter.safeEmit('ping', 1);
  emitter.safeEmit('ping', 2);

  expect(seen).toEqual([1]);
});

test('safeEmit() without listeners returns false', () => {
  expect(new EnhancedEventEmitter<TestEvents>().safeEmit('ping', 1)).toBe(false);
});
