/**
 * The Kafka test broker's in-memory state: topics, partition logs, committed group offsets and
 * each consumer group's last completed generation.
 * A store outlives the broker that filled it, so passing it to a new `KafkaTestBroker.start()`
 * simulates a broker restart that kept its disk.
 *
 * Record batches are stored exactly as producers sent them (magic v2), with only the base offset
 * rewritten. That field sits before the CRC-covered part of the batch, so the CRC stays valid.
 */
import { ErrorCode, ProtocolError } from './protocol.js';

/** One record batch as stored: the complete wire bytes with the assigned base offset. */
export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  data: Buffer;
}

/** One partition's log. Offsets start at 0 and nothing is ever deleted. */
export interface PartitionLog {
  batches: StoredBatch[];
  /** Offset the next record will get (the log end offset). */
  highWatermark: number;
}

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

/** One protocol (assignor) a group member offers in JoinGroup, with its opaque metadata. */
export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface StoredMember {
  id: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer;
}

/**
 * A consumer group as of its last completed rebalance (or as it became empty). Like the group
 * metadata Kafka keeps in __consumer_offsets, it lets members carry on after a broker restart.
 */
export interface StoredGroup {
  generationId: number;
  protocol: string;
  leaderId: string;
  members: StoredMember[];
}

/** All broker state that survives a simulated restart. */
export interface BrokerStore {
  /** topic name → its partitions' logs, indexed by partition number. */
  readonly topics: Map<string, PartitionLog[]>;
  /** group id → `${topic}:${partition}` → committed offset (the next offset to consume). */
  readonly offsets: Map<string, Map<string, CommittedOffset>>;
  /** group id → the group's last stable (or empty) generation. */
  readonly groups: Map<string, StoredGroup>;
}

export function createBrokerStore(): BrokerStore {
  return { topics: new Map(), offsets: new Map(), groups: new Map() };
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** Kafka's rule for topic names. */
export function isValidTopicName(name: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}

/** Adds a topic (or grows it to `partitions`); never shrinks or clears an existing one. */
export function ensureTopic(store: BrokerStore, topic: string, partitions: number): PartitionLog[] {
  const logs = store.topics.get(topic) ?? [];
  while (logs.length < partitions) logs.push({ batches: [], highWatermark: 0 });
  store.topics.set(topic, logs);
  return logs;
}

// Byte positions inside a v2 record batch (see the Kafka protocol guide, "Record Batch").
const LENGTH_AT = 8;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;
const LAST_OFFSET_DELTA_AT = 23;
const MAX_TIMESTAMP_AT = 35;
const BATCH_HEADER_BYTES = 61;
const TRANSACTIONAL_OR_CONTROL = 0x10 | 0x20;

interface ParsedBatch {
  bytes: Buffer;
  lastOffsetDelta: number;
  maxTimestamp: number;
}

/** Splits a produce request's record set into v2 batches, rejecting anything else. */
function parseRecordSet(records: Buffer): ParsedBatch[] {
  const batches: ParsedBatch[] = [];
  let pos = 0;
  while (pos < records.length) {
    if (records.length - pos < BATCH_HEADER_BYTES) throw new ProtocolError('short record batch');
    const size = 12 + records.readInt32BE(pos + LENGTH_AT);
    if (size < BATCH_HEADER_BYTES || pos + size > records.length) {
      throw new ProtocolError('bad record batch length');
    }
    if (records.readInt8(pos + MAGIC_AT) !== 2) throw new ProtocolError('only magic v2 batches');
    if (records.readInt16BE(pos + ATTRIBUTES_AT) & TRANSACTIONAL_OR_CONTROL) {
      throw new ProtocolError('transactional and control batches are not supported');
    }
    const lastOffsetDelta = records.readInt32BE(pos + LAST_OFFSET_DELTA_AT);
    if (lastOffsetDelta < 0) throw new ProtocolError('negative last offset delta');
    batches.push({
      bytes: records.subarray(pos, pos + size),
      lastOffsetDelta,
      maxTimestamp: Number(records.readBigInt64BE(pos + MAX_TIMESTAMP_AT)),
    });
    pos += size;
  }
  if (batches.length === 0) throw new ProtocolError('empty record set');
  return batches;
}

/**
 * Appends a produce request's record set to a partition log.
 * Returns the base offset of the first appended batch, or an error code.
 */
export function appendRecords(
  log: PartitionLog,
  records: Buffer | null,
): { errorCode: number; baseOffset: number } {
  let parsed: ParsedBatch[];
  try {
    parsed = parseRecordSet(records ?? Buffer.alloc(0));
  } catch (error) {
    if (error instanceof ProtocolError)
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1 };
    throw error;
  }
  const baseOffset = log.highWatermark;
  for (const batch of parsed) {
    const data = Buffer.from(batch.bytes);
    const first = log.highWatermark;
    data.writeBigInt64BE(BigInt(first), 0);
    log.highWatermark = first + batch.lastOffsetDelta + 1;
    log.batches.push({
      baseOffset: first,
      lastOffset: log.highWatermark - 1,
      maxTimestamp: batch.maxTimestamp,
      data,
    });
  }
  return { errorCode: ErrorCode.NONE, baseOffset };
}

/** Index of the first batch holding `offset` or anything after it. */
function firstBatchFrom(log: PartitionLog, offset: number): number {
  let lo = 0;
  let hi = log.batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((log.batches[mid]?.lastOffset ?? Infinity) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Whole batches from `offset` on, within `maxBytes`. With `mustReturnOne`, the first batch is
 * returned even when it is larger (so a consumer can always make progress).
 */
export function readBatches(
  log: PartitionLog,
  offset: number,
  maxBytes: number,
  mustReturnOne: boolean,
): Buffer[] {
  const out: Buffer[] = [];
  let bytes = 0;
  for (const { data } of log.batches.slice(firstBatchFrom(log, offset))) {
    if (bytes + data.length > maxBytes && !(mustReturnOne && out.length === 0)) break;
    out.push(data);
    bytes += data.length;
  }
  return out;
}

/**
 * ListOffsets: -1 = latest, -2 = earliest, otherwise the base offset of the first batch whose
 * max timestamp is at or after `timestamp` (batch granularity), or -1 if there is none.
 */
export function offsetForTimestamp(log: PartitionLog, timestamp: number): number {
  if (timestamp === -1) return log.highWatermark;
  if (timestamp === -2) return 0;
  return log.batches.find((b) => b.maxTimestamp >= timestamp)?.baseOffset ?? -1;
}
