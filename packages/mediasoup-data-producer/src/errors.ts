/** The object is in a state where the call cannot be made (closed, not loaded, ...). */
export class InvalidStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

/** The call is valid but not supported by this transport or by the native stack. */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/** The operation cannot be done now, for example because a buffer limit was reached. */
export class OperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationError';
  }
}

/** The message of a thrown value, without the `Error: ` prefix that String() would add. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
