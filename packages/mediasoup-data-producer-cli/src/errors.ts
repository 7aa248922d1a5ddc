/** A bad option value or a bad --signaling module: reported before anything connects, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
