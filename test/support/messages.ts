// Numbered binary messages, for tests that check order and loss by sequence number.

/** A binary message of `size` bytes (at least 4) that starts with its sequence number. */
export function numbered(seq: number, size: number): Buffer {
  const message = Buffer.alloc(Math.max(4, size), seq % 251);
  message.writeUInt32BE(seq, 0);
  return message;
}

export function sequenceOf(data: Buffer): number {
  return data.readUInt32BE(0);
}
