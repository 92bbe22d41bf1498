/**
 * Request handlers of the Kafka test broker: one per API, each decoding its (non-flexible) request
 * body, acting on the store or the group coordinator, and encoding the response. The version each
 * handler accepts is the one kafkajs 2.2.4 uses; see the table in the constructor.
 */
import type { Socket } from 'node:net';

import {
  appendRecords,
  ensureTopic,
  isValidTopicName,
  offsetForTimestamp,
  offsetKey,
  readBatches,
  type BrokerStore,
  type CommittedOffset,
} from './broker-store.js';
import type { GroupCoordinator, JoinResult } from './group-coordinator.js';
import { ApiKey, ErrorCode, type Reader, Writer } from './protocol.js';

const NODE_ID = 0;
/** Upper bound for CreateTopics, so a garbage request cannot allocate millions of partitions. */
const MAX_PARTITIONS = 10_000;

/** One client connection, with the Fetch requests parked on it. */
export interface Connection {
  socket: Socket;
  fetchWaiters: Set<FetchWaiter>;
}

interface FetchWaiter {
  /** Answers if there is now enough data; returns whether it did. */
  tryAnswer: () => boolean;
  timer: NodeJS.Timeout;
}

/** Sends the response; the body is built inside so encoding errors close only this connection. */
export type Reply = (body: () => Writer) => void;

export interface RequestContext {
  connection: Connection;
  version: number;
  clientId: string;
}

type Handler = (request: Reader, reply: Reply, context: RequestContext) => void;

export interface ApiHandler {
  min: number;
  max: number;
  handle: Handler;
}

export interface BrokerState {
  store: BrokerStore;
  coordinator: GroupCoordinator;
  host: string;
  port: number;
  autoCreatePartitions: number;
  connections: ReadonlySet<Connection>;
}

export class ApiHandlers {
  /** API key → accepted versions and handler. */
  readonly table: ReadonlyMap<number, ApiHandler>;
  private readonly store: BrokerStore;
  private readonly coordinator: GroupCoordinator;
  private readonly host: string;
  private readonly port: number;
  private readonly autoCreatePartitions: number;
  private readonly connections: ReadonlySet<Connection>;

  constructor(state: BrokerState) {
    this.store = state.store;
    this.coordinator = state.coordinator;
    this.host = state.host;
    this.port = state.port;
    this.autoCreatePartitions = state.autoCreatePartitions;
    this.connections = state.connections;
    const only = (version: number, handle: Handler) => ({ min: version, max: version, handle });
    this.table = new Map([
      [ApiKey.ApiVersions, { min: 0, max: 2, handle: this.apiVersions }],
      [ApiKey.Metadata, only(1, this.metadata)],
      [ApiKey.Produce, only(3, this.produce)],
      [ApiKey.Fetch, only(4, this.fetch)],
      [ApiKey.ListOffsets, only(1, this.listOffsets)],
      [ApiKey.CreateTopics, only(0, this.createTopics)],
      [ApiKey.FindCoordinator, only(0, this.findCoordinator)],
      [ApiKey.JoinGroup, only(0, this.joinGroup)],
      [ApiKey.SyncGroup, only(0, this.syncGroup)],
      [ApiKey.Heartbeat, only(0, this.heartbeat)],
      [ApiKey.LeaveGroup, only(0, this.leaveGroup)],
      [ApiKey.OffsetCommit, only(2, this.offsetCommit)],
      [ApiKey.OffsetFetch, only(1, this.offsetFetch)],
    ]);
  }

  /** ApiVersions response body (v0 layout when `version` is 0). */
  apiVersionsBody(errorCode: number, version: number): Writer {
    const body = new Writer().int16(errorCode);
    body.array([...this.table], (w, [key, { min, max }]) => w.int16(key).int16(min).int16(max));
    if (version >= 1) body.int32(0); // throttle_time_ms
    return body;
  }

  private readonly apiVersions: Handler = (_request, reply, { version }) => {
    reply(() => this.apiVersionsBody(ErrorCode.NONE, version));
  };

  private readonly metadata: Handler = (request, reply) => {
    const requested = request.nullableArray((r) => r.string());
    const names = requested ?? [...this.store.topics.keys()];
    const topics = names.map((name) => {
      let logs = this.store.topics.get(name);
      if (!logs && this.autoCreatePartitions > 0 && isValidTopicName(name)) {
        logs = ensureTopic(this.store, name, this.autoCreatePartitions);
      }
      const errorCode = logs
        ? ErrorCode.NONE
        : isValidTopicName(name)
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : ErrorCode.INVALID_TOPIC_EXCEPTION;
      return { name, errorCode, partitions: logs?.length ?? 0 };
    });
    reply(() =>
      new Writer()
        .array([NODE_ID], (w, id) => w.int32(id).string(this.host).int32(this.port).string(null))
        .int32(NODE_ID) // controller_id
        .array(topics, (w, topic) => {
          w.int16(topic.errorCode).string(topic.name).bool(false);
          const ids = Array.from({ length: topic.partitions }, (_, i) => i);
          w.array(ids, (p, id) => {
            p.int16(ErrorCode.NONE).int32(id).int32(NODE_ID);
            p.array([NODE_ID], (x, n) => x.int32(n)).array([NODE_ID], (x, n) => x.int32(n));
          });
        }),
    );
  };

  private readonly createTopics: Handler = (request, reply) => {
    const topics = request.array((r) => {
      const name = r.string();
      const numPartitions = r.int32();
      r.int16(); // replication_factor: there is only one broker
      const assigned = r.array((a) => [a.int32(), a.array((x) => x.int32())] as const);
      r.array((c) => [c.string(), c.nullableString()] as const); // configs are ignored
      return { name, partitions: assigned.length > 0 ? assigned.length : numPartitions };
    });
    request.int32(); // timeout
    const results = topics.map(({ name, partitions }) => {
      const count = partitions === -1 ? Math.max(1, this.autoCreatePartitions) : partitions;
      let errorCode: number = ErrorCode.NONE;
      if (!isValidTopicName(name)) errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
      else if (this.store.topics.has(name)) errorCode = ErrorCode.TOPIC_ALREADY_EXISTS;
      else if (count <= 0 || count > MAX_PARTITIONS) errorCode = ErrorCode.INVALID_PARTITIONS;
      else ensureTopic(this.store, name, count);
      return { name, errorCode };
    });
    reply(() => new Writer().array(results, (w, r) => w.string(r.name).int16(r.errorCode)));
  };

  private readonly produce: Handler = (request, reply) => {
    const transactionalId = request.nullableString();
    const acks = request.int16();
    request.int32(); // timeout: writes are synchronous
    const topics = request.array((t) => ({
      topic: t.string(),
      partitions: t.array((p) => ({ partition: p.int32(), records: p.bytes() })),
    }));
    const results = topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, records }) => {
        const log = this.store.topics.get(topic)?.[partition];
        if (acks !== 0 && acks !== 1 && acks !== -1) {
          return { partition, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1 };
        }
        if (transactionalId !== null) {
          return { partition, errorCode: ErrorCode.INVALID_REQUEST, baseOffset: -1 };
        }
        if (!log) {
          return { partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1 };
        }
        return { partition, ...appendRecords(log, records) };
      }),
    }));
    this.wakeFetchWaiters();
    if (acks === 0) return; // the producer does not wait for an answer
    reply(() =>
      new Writer()
        .array(results, (w, t) =>
          w.string(t.topic).array(t.partitions, (p, r) => {
            p.int32(r.partition).int16(r.errorCode).int64(r.baseOffset).int64(-1);
          }),
        )
        .int32(0),
    );
  };

  private readonly fetch: Handler = (request, reply, { connection }) => {
    request.int32(); // replica_id
    const maxWaitMs = request.int32();
    const minBytes = request.int32();
    const maxBytes = request.int32();
    request.int8(); // isolation_level: there are no transactions, so both levels read the same
    const topics = request.array((t) => ({
      topic: t.string(),
      partitions: t.array((p) => ({
        partition: p.int32(),
        offset: p.int64(),
        maxBytes: p.int32(),
      })),
    }));

    const tryAnswer = (force: boolean): boolean => {
      let total = 0;
      const responses = topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(({ partition, offset, maxBytes: partitionMax }) => {
          const log = this.store.topics.get(topic)?.[partition];
          let errorCode: number = ErrorCode.NONE;
          let batches: Buffer[] = [];
          if (!log) {
            errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          } else if (offset < 0 || offset > log.highWatermark) {
            errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
          } else {
            const limit = Math.min(partitionMax, maxBytes - total);
            batches = readBatches(log, offset, limit, total === 0);
            for (const batch of batches) total += batch.length;
          }
          return { partition, errorCode, highWatermark: log?.highWatermark ?? -1, batches };
        }),
      }));
      const hasError = responses.some((t) =>
        t.partitions.some((p) => p.errorCode !== ErrorCode.NONE),
      );
      if (!force && !hasError && total < minBytes) return false;
      reply(() =>
        new Writer().int32(0).array(responses, (w, t) =>
          w.string(t.topic).array(t.partitions, (p, r) => {
            p.int32(r.partition).int16(r.errorCode).int64(r.highWatermark).int64(r.highWatermark);
            p.int32(0); // aborted_transactions
            p.int32(r.batches.reduce((sum, b) => sum + b.length, 0));
            for (const batch of r.batches) p.raw(batch);
          }),
        ),
      );
      return true;
    };

    if (tryAnswer(maxWaitMs <= 0)) return;
    const waiter: FetchWaiter = {
      tryAnswer: () => tryAnswer(false),
      timer: setTimeout(() => {
        connection.fetchWaiters.delete(waiter);
        tryAnswer(true);
      }, maxWaitMs).unref(),
    };
    connection.fetchWaiters.add(waiter);
  };

  private wakeFetchWaiters(): void {
    for (const connection of this.connections) {
      for (const waiter of connection.fetchWaiters) {
        if (waiter.tryAnswer()) {
          clearTimeout(waiter.timer);
          connection.fetchWaiters.delete(waiter);
        }
      }
    }
  }

  private readonly listOffsets: Handler = (request, reply) => {
    request.int32(); // replica_id
    const topics = request.array((t) => ({
      topic: t.string(),
      partitions: t.array((p) => ({ partition: p.int32(), timestamp: p.int64() })),
    }));
    reply(() =>
      new Writer().array(topics, (w, { topic, partitions }) =>
        w.string(topic).array(partitions, (p, { partition, timestamp }) => {
          const log = this.store.topics.get(topic)?.[partition];
          const errorCode = log ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          const offset = log ? offsetForTimestamp(log, timestamp) : -1;
          p.int32(partition).int16(errorCode).int64(-1).int64(offset);
        }),
      ),
    );
  };

  private readonly findCoordinator: Handler = (request, reply) => {
    request.string(); // group_id: this broker coordinates every group
    reply(() =>
      new Writer().int16(ErrorCode.NONE).int32(NODE_ID).string(this.host).int32(this.port),
    );
  };

  private readonly joinGroup: Handler = (request, reply, { clientId }) => {
    const groupId = request.string();
    const sessionTimeoutMs = request.int32();
    const memberId = request.string();
    const protocolType = request.string();
    const protocols = request.array((r) => ({
      name: r.string(),
      metadata: r.bytes() ?? Buffer.alloc(0),
    }));
    const answer = (result: JoinResult) => {
      reply(() =>
        new Writer()
          .int16(result.errorCode)
          .int32(result.generationId)
          .string(result.protocol)
          .string(result.leaderId)
          .string(result.memberId)
          .array(result.members, (w, m) => w.string(m.memberId).bytes(m.metadata)),
      );
    };
    this.coordinator.join(
      {
        groupId,
        memberId,
        clientId,
        sessionTimeoutMs,
        // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout instead.
        rebalanceTimeoutMs: sessionTimeoutMs,
        protocolType,
        protocols,
      },
      answer,
    );
  };

  private readonly syncGroup: Handler = (request, reply) => {
    const groupId = request.string();
    const generationId = request.int32();
    const memberId = request.string();
    const assignments = new Map(
      request.array((r) => [r.string(), r.bytes() ?? Buffer.alloc(0)] as const),
    );
    this.coordinator.sync(groupId, generationId, memberId, assignments, (errorCode, assignment) => {
      reply(() => new Writer().int16(errorCode).bytes(assignment));
    });
  };

  private readonly heartbeat: Handler = (request, reply) => {
    const errorCode = this.coordinator.heartbeat(
      request.string(),
      request.int32(),
      request.string(),
    );
    reply(() => new Writer().int16(errorCode));
  };

  private readonly leaveGroup: Handler = (request, reply) => {
    const errorCode = this.coordinator.leave(request.string(), request.string());
    reply(() => new Writer().int16(errorCode));
  };

  private readonly offsetCommit: Handler = (request, reply) => {
    const groupId = request.string();
    const generationId = request.int32();
    const memberId = request.string();
    request.int64(); // retention_time: committed offsets never expire here
    const topics = request.array((t) => ({
      topic: t.string(),
      partitions: t.array((p) => ({
        partition: p.int32(),
        offset: p.int64(),
        metadata: p.nullableString(),
      })),
    }));
    const errorCode = this.coordinator.checkCommit(groupId, generationId, memberId);
    if (errorCode === ErrorCode.NONE) {
      const offsets = this.store.offsets.get(groupId) ?? new Map<string, CommittedOffset>();
      this.store.offsets.set(groupId, offsets);
      for (const { topic, partitions } of topics) {
        for (const { partition, offset, metadata } of partitions) {
          offsets.set(offsetKey(topic, partition), { offset, metadata });
        }
      }
    }
    reply(() =>
      new Writer().array(topics, (w, { topic, partitions }) =>
        w
          .string(topic)
          .array(partitions, (p, { partition }) => p.int32(partition).int16(errorCode)),
      ),
    );
  };

  private readonly offsetFetch: Handler = (request, reply) => {
    const groupId = request.string();
    const topics = request.array((t) => ({
      topic: t.string(),
      partitions: t.array((p) => p.int32()),
    }));
    const offsets = this.store.offsets.get(groupId);
    reply(() =>
      new Writer().array(topics, (w, { topic, partitions }) =>
        w.string(topic).array(partitions, (p, partition) => {
          const committed = offsets?.get(offsetKey(topic, partition));
          p.int32(partition).int64(committed?.offset ?? -1);
          p.string(committed?.metadata ?? '').int16(ErrorCode.NONE);
        }),
      ),
    );
  };
}
