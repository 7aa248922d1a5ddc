// How many messages a producer may send now: at most a burst, so that one producer never
// keeps the event loop from the others and from the timers, and, under a rate, only as
// many as are due.

/** Messages a producer sends before it lets the event loop run (unlimited rate). */
export const BURST = 64;

export type SendBudget = { send: number } | { waitMs: number };

/**
 * The budget of a producer that started sending at `startedAt` (performance.now() ms) and
 * has sent `sent` messages: a number to send now, or how long to wait for the next one.
 * `rate` is messages per second, 0 for as fast as backpressure allows.
 */
export function sendBudget(rate: number, startedAt: number, sent: number, now: number): SendBudget {
  if (rate <= 0) return { send: BURST };
  const interval = 1000 / rate;
  const due = Math.floor((now - startedAt) / interval) + 1 - sent;
  if (due <= 0) return { waitMs: startedAt + sent * interval - now };
  return { send: Math.min(due, BURST) };
}
