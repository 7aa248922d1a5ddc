// What a call threw or a promise rejected with, for tests that assert the exact error.

/** What `call` throws; fails if it returns. */
export function thrownBy(call: () => void): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned');
}

/** The error `promise` rejects with; fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** What a listener captured (a callback, say); fails if the listener never ran. */
export function captured<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what} to be captured, but it never was`);
  return value;
}
