import { OperationError } from 'mediasoup-data-producer';

import { StreamIds } from '../../src/handlers/StreamIds.js';

describe('StreamIds', () => {
  test('streamIds.allocate() gives ids in order, starting at 0', () => {
    const ids = new StreamIds(4, 0);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([0, 1, 2]);
    expect(ids.inUse()).toBe(3);
  });

  test('streamIds.allocate() after a release gives the next id after the last one, not the freed one', () => {
    const ids = new StreamIds(8, 0);
    for (let i = 0; i < 5; i++) ids.allocate();
    ids.release(3);
    ids.release(1);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([5, 6, 7]);
  });

  test('streamIds.allocate() past the last id wraps to the first free one, skipping ids in use', () => {
    const ids = new StreamIds(6, 0);
    for (let i = 0; i < 6; i++) ids.allocate();
    ids.release(4);
    ids.release(1);
    ids.release(3);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 3, 4]);
    expect(() => ids.allocate()).toThrow(OperationError);
  });

  test('streamIds.allocate() of a freed id comes only after every other id had its turn', () => {
    const ids = new StreamIds(5, 0);
    const first = ids.allocate();
    if (first === undefined) throw new Error('no id');
    ids.release(first);
    const order: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const id = ids.allocate();
      order.push(id);
      if (id !== undefined) ids.release(id);
    }
    expect(order).toEqual([1, 2, 3, 4, 0]);
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
    expect([ids.allocate(), ids.allocate()]).toEqual([1, 2]);
  });

  test('streamIds.release() twice of the same id frees it once', () => {
    const ids = new StreamIds(3, 0);
    ids.allocate();
    ids.allocate();
    ids.release(0);
    ids.release(0);
    expect(ids.allocate()).toBe(2);
    expect(ids.allocate()).toBe(0);
    expect(ids.inUse()).toBe(3);
    expect(() => ids.allocate()).toThrow(OperationError);
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

  test('streamIds.allocate() open-and-close 3,000 times goes round all ids and never runs out', () => {
    const ids = new StreamIds(1024, 0);
    const seen: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = ids.allocate();
      if (id === undefined) throw new Error(`no id at cycle ${i}`);
      seen.push(id);
      ids.release(id);
    }
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seen[1023]).toBe(1023);
    expect(seen[1024]).toBe(0);
    expect(seen[2999]).toBe(2999 % 1024);
    expect(ids.inUse()).toBe(0);
  });

  test('streamIds.allocate() skips a released id until its quarantine is over', () => {
    let now = 0;
    const ids = new StreamIds(3, 1000, () => now);
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([0, 1, 2]);
    ids.release(0);
    ids.release(2);
    now = 999;
    expect(ids.allocate()).toBeUndefined();
    now = 1000;
    expect(ids.allocate()).toBe(0);
    expect(ids.allocate()).toBe(2);
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
