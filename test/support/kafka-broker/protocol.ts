/**
 * Wire-level building blocks for the Kafka test broker: a bounds-checked reader, a growable writer,
 * and the API keys, versions and error codes the broker uses. Only the non-flexible (pre-KIP-482)
 * encodings are implemented, which is all kafkajs 2.2.4 speaks.
 */

/** Thrown when a request cannot be decoded; the broker closes the connection that sent it. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Reads big-endian Kafka primitives from one request body, refusing to run past its end. */
export class Reader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private take(size: number): number {
    if (size < 0 || this.offset + size > this.buf.length) {
      throw new ProtocolError(`truncated request: wanted ${size} bytes, ${this.remaining} left`);
    }
    const at = this.offset;
    this.offset += size;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.take(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  /** INT64 as a JS number; offsets and timestamps used in tests stay far below 2^53. */
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.take(8)));
  }

  /** NULLABLE_STRING. */
  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < -1) throw new ProtocolError(`invalid string length ${length}`);
    const at = this.take(length);
    return this.buf.toString('utf8', at, at + length);
  }

  /** STRING (a null is read as the empty string). */
  string(): string {
    return this.nullableString() ?? '';
  }

  /** NULLABLE_BYTES, copied so the request buffer is not retained. */
  bytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < -1) throw new ProtocolError(`invalid bytes length ${length}`);
    const at = this.take(length);
    return Buffer.from(this.buf.subarray(at, at + length));
  }

  /** ARRAY; a null array (-1) is returned as null. */
  nullableArray<T>(readItem: (reader: Reader) => T): T[] | null {
    const length = this.int32();
    if (length === -1) return null;
    // Every element takes at least one byte, so a larger count can only be garbage.
    if (length < -1 || length > this.remaining) {
      throw new ProtocolError(`invalid array length ${length}`);
    }
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(readItem(this));
    return items;
  }

  /** ARRAY; a null array is read as empty. */
  array<T>(readItem: (reader: Reader) => T): T[] {
    return this.nullableArray(readItem) ?? [];
  }
}

/** Builds a response body; methods chain. */
export class Writer {
  private buf = Buffer.allocUnsafe(256);
  private length = 0;

  /** Makes room for `size` bytes and returns where they go. Call it before touching `this.buf`. */
  private reserve(size: number): number {
    if (this.length + size > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + size));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    const at = this.length;
    this.length += size;
    return at;
  }

  int8(value: number): this {
    const at = this.reserve(1);
    this.buf.writeInt8(value, at);
    return this;
  }

  int16(value: number): this {
    const at = this.reserve(2);
    this.buf.writeInt16BE(value, at);
    return this;
  }

  int32(value: number): this {
    const at = this.reserve(4);
    this.buf.writeInt32BE(value, at);
    return this;
  }

  int64(value: number): this {
    const at = this.reserve(8);
    this.buf.writeBigInt64BE(BigInt(value), at);
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const size = Buffer.byteLength(value, 'utf8');
    this.int16(size);
    const at = this.reserve(size);
    this.buf.write(value, at, size, 'utf8');
    return this;
  }

  bytes(value: Buffer | null): this {
    if (value === null) return this.int32(-1);
    this.int32(value.length);
    return this.raw(value);
  }

  raw(value: Buffer): this {
    const at = this.reserve(value.length);
    value.copy(this.buf, at);
    return this;
  }

  array<T>(items: readonly T[], writeItem: (writer: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** API keys the broker implements. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  CreateTopics: 19,
} as const;

/** Kafka error codes the broker returns. */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REQUEST: 42,
} as const;

/** Largest request frame accepted; anything bigger is treated as garbage and the socket closed. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
