/**
 * The app does not have an optional signaling method (closeTransport, getReceiverStats,
 * workerCpuSeconds): the run does without it, where any other failure is reported.
 */
export class NotSupportedError extends Error {
  override name = 'NotSupportedError';
}

/** An error's message, or what was thrown when it is not an Error. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
