import { OperationError } from 'mediasoup-data-producer';

import { StreamIds } from '../../src/StreamIds.js';

describe('StreamIds', () => {
  test('streamIds.allocate() gives the lowest free ids in order', () => {
    const ids = new StreamIds(4, 0);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([0, 1, 2]);
    expect(ids.inUse()).toBe(3);
  });

  test('streamIds.release() of an id makes the next allocate() reuse the lowest free id', () => {
    const ids = new StreamIds(8, 0);
    for (let i = 0; i < 5; i++) ids.allocate();
    ids.release(3);
    ids.release(1);
    expect(ids.allocate()).toBe(1);
    expect(ids.allocate()).toBe(3);
    expect(ids.allocate()).toBe(5);
  });

  test('streamIds.allocate() when every id is used throws OperationError', () => {
    const ids = new StreamIds(2, 0);
    ids.allocate();
    ids.allocate();
    expect(() => ids.allocate()).toThrow(OperationError);
    expect(() => ids.allocate()).toThrow(/all 2 streams/);
  });

  test('streamIds.release() of a free, unknown or out-of-range id changes nothing', () => {
    const ids = new StreamIds(3, 0);
    ids.allocate();
    ids.release(1);
    ids.release(7);
    ids.release(-1);
    expect(ids.inUse()).toBe(1);
    expect(ids.allocate()).toBe(1);
  });

  test('streamIds.release() twice of the same id frees it once', () => {
    const ids = new StreamIds(3, 0);
    ids.allocate();
    ids.allocate();
    ids.release(0);
    ids.release(0);
    expect(ids.allocate()).toBe(0);
    expect(ids.allocate()).toBe(2);
    expect(ids.inUse()).toBe(3);
  });

  test('streamIds.allocate() and release() a full cycle many times keeps within count', () => {
    const ids = new StreamIds(1024, 0);
    for (let round = 0; round < 3; round++) {
      const taken = Array.from({ length: 1024 }, () => ids.allocate());
      expect(taken).toEqual(Array.from({ length: 1024 }, (_, i) => i));
      for (const id of taken) if (id !== undefined) ids.release(id);
      expect(ids.inUse()).toBe(0);
    }
  });

  test('streamIds.allocate() skips a released id until its quarantine is over', () => {
    let now = 0;
    const ids = new StreamIds(4, 1000, () => now);
    expect([ids.allocate(), ids.allocate()]).toEqual([0, 1]);
    ids.release(0);
    now = 999;
    expect(ids.allocate()).toBe(2);
    now = 1000;
    expect(ids.allocate()).toBe(0);
  });

  test('streamIds.allocate() when the only free ids rest returns undefined and msUntilFree() says how long', () => {
    let now = 0;
    const ids = new StreamIds(2, 1000, () => now);
    ids.allocate();
    ids.allocate();
    ids.release(1);
    now = 250;
    expect(ids.allocate()).toBeUndefined();
    expect(ids.msUntilFree()).toBe(750);
    now = 1000;
    expect(ids.allocate()).toBe(1);
    expect(ids.msUntilFree()).toBeUndefined();
  });
});
