// The load messages: every one carries its sequence number and its send time, so that the
// receiving side can check order and completeness and measure one-way latency.
//
//   bytes 0-7   sequence number, uint64 little-endian (0, 1, 2, ... per producer)
//   bytes 8-15  send time, float64 little-endian: performance.timeOrigin + performance.now()
//               in milliseconds (a wall-clock time that other processes on the machine share)
//   bytes 16-   padding (zeros) up to the message size

/** Bytes of sequence number and timestamp at the start of every message. */
export const HEADER_SIZE = 16;

/** Milliseconds since the epoch, sub-millisecond and comparable between processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A message of `size` bytes (at least HEADER_SIZE) with this sequence number and send time. */
export function encodeMessage(size: number, seq: number, sentAt: number = epochNow()): Buffer {
  return writeMessage(Buffer.alloc(size), seq, sentAt);
}

/**
 * Writes the header of message `seq` into `message` (its padding left as it is) and
 * returns it: a sender that reuses one buffer, for a send() that copies, allocates none.
 */
export function writeMessage(message: Buffer, seq: number, sentAt: number = epochNow()): Buffer {
  message.writeUInt32LE(seq % 2 ** 32, 0);
  message.writeUInt32LE(Math.floor(seq / 2 ** 32), 4);
  message.writeDoubleLE(sentAt, 8);
  return message;
}

export interface DecodedMessage {
  seq: number;
  sentAt: number;
}

/** The header of a load message, or undefined when the data is too short to be one. */
export function decodeMessage(data: Uint8Array): DecodedMessage | undefined {
  if (data.byteLength < HEADER_SIZE) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, HEADER_SIZE);
  const seq = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const sentAt = view.getFloat64(8, true);
  return { seq, sentAt };
}
