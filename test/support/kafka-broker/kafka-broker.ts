/**
 * KafkaTestBroker — an in-process, single-node Kafka stand-in for integration tests.
 *
 * It is a plain TCP server (node:net) that speaks enough of the Kafka wire protocol for the real
 * kafkajs 2.2.4 client to produce, consume in consumer groups, commit offsets and create topics,
 * so code built on kafkajs can be tested without a JVM, Docker or a real cluster:
 *
 *   const broker = await KafkaTestBroker.start({ topics: { 'article.published': { partitions: 2 } } });
 *   const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
 *   ...
 *   await broker.stop();
 *
 * What it does:
 * - Advertises only what it implements — ApiVersions v0–v2, and exactly one version of each other
 *   API: Metadata v1, Produce v3, Fetch v4, ListOffsets v1, FindCoordinator v0, JoinGroup v0,
 *   SyncGroup v0, Heartbeat v0, LeaveGroup v0, OffsetCommit v2, OffsetFetch v1, CreateTopics v0 —
 *   which are the versions kafkajs 2.2.4 then picks. Produce with acks=0 gets no response.
 * - Keeps every topic/partition log in memory (see broker-store.ts), storing producers' record
 *   batches byte for byte with only the base offset rewritten; auto-creates unknown topics named
 *   in a Metadata request (with `autoCreatePartitions` partitions).
 * - Fetch honours min_bytes/max_wait: a request without enough data is parked until a produce
 *   brings data or max_wait passes. ListOffsets supports earliest (-2), latest (-1) and, at batch
 *   granularity, timestamps.
 * - Runs consumer groups (see group-coordinator.ts): generations, rebalances on join/leave/session
 *   expiry, leader-computed assignments via SyncGroup, REBALANCE_IN_PROGRESS heartbeats, and
 *   per-group committed offsets. Committed offsets and each group's last stable generation live
 *   in the store, so consumers carry on without rejoining after a simulated restart.
 * - Closes (never crashes on) connections that send malformed frames or unsupported API
 *   keys/versions.
 *
 * What it does NOT do: transactions and idempotent-producer semantics (no InitProducerId,
 * sequence numbers or producer fencing; transactional batches are rejected), isolation levels,
 * SASL, TLS, ACLs, quotas/throttling, more than one broker (no replication, leader election,
 * ISR changes or controller), log compaction, retention or deletion (offsets start at 0 and the
 * log start never moves), CRC validation or decompression of batches, flexible (compact/tagged)
 * protocol versions, any API version other than the ones listed above, static group membership,
 * the initial rebalance delay, session-timeout bounds, persistence to disk (the store lives in
 * memory and is only shared between broker instances in the same process), and performance.
 *
 * Tips for tests: give consumers a low `maxWaitTimeInMs` (e.g. 100–200 ms; an empty fetch is held
 * that long) and a small `heartbeatInterval`. JoinGroup v0 has no rebalance timeout, so the
 * consumer's `sessionTimeout` is also how long a rebalance waits for members to rejoin; kafkajs's
 * `rebalanceTimeout` has no effect here. kafkajs heartbeats only between batches, so a handler
 * that runs longer than `sessionTimeout` gets its member evicted, as with a real broker.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { ApiHandlers, type Connection, type Reply } from './api-handlers.js';
import { createBrokerStore, ensureTopic, offsetKey, type BrokerStore } from './broker-store.js';
import { GroupCoordinator } from './group-coordinator.js';
import { ApiKey, ErrorCode, MAX_FRAME_BYTES, ProtocolError, Reader } from './protocol.js';

export { createBrokerStore, type BrokerStore } from './broker-store.js';

export interface KafkaTestBrokerOptions {
  /** TCP port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on and to advertise in metadata. Default 127.0.0.1. */
  host?: string;
  /** Topics to create at start (existing ones in `store` are kept, and grown if needed). */
  topics?: Record<string, { partitions: number }>;
  /** Partitions for topics auto-created by Metadata requests; 0 disables auto-creation. Default 1. */
  autoCreatePartitions?: number;
  /** State to start from, e.g. the `store` of a stopped broker. Default: a new empty store. */
  store?: BrokerStore;
  /** Called when a connection is closed because of a malformed or unsupported request. */
  onError?: (error: Error) => void;
}

export class KafkaTestBroker {
  /** Bootstrap list for `new Kafka({ brokers })`, e.g. `['127.0.0.1:40123']`. */
  readonly brokers: string[];
  private readonly connections = new Set<Connection>();
  private readonly coordinator: GroupCoordinator;
  private readonly handlers: ApiHandlers;
  private readonly onError: ((error: Error) => void) | undefined;
  private stopped = false;

  private constructor(
    private readonly server: Server,
    /** In-memory topics, logs and committed offsets. Pass to `start()` to simulate a restart. */
    readonly store: BrokerStore,
    readonly host: string,
    readonly port: number,
    options: KafkaTestBrokerOptions,
  ) {
    this.brokers = [`${host}:${port}`];
    this.onError = options.onError;
    this.coordinator = new GroupCoordinator(store.groups);
    this.handlers = new ApiHandlers({
      store,
      coordinator: this.coordinator,
      host,
      port,
      autoCreatePartitions: options.autoCreatePartitions ?? 1,
      connections: this.connections,
    });
  }

  /** Starts a broker listening on `options.port` (default: an ephemeral port). */
  static async start(options: KafkaTestBrokerOptions = {}): Promise<KafkaTestBroker> {
    const host = options.host ?? '127.0.0.1';
    const store = options.store ?? createBrokerStore();
    for (const [topic, { partitions }] of Object.entries(options.topics ?? {})) {
      ensureTopic(store, topic, partitions);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    const { port } = server.address() as AddressInfo;
    const broker = new KafkaTestBroker(server, store, host, port, options);
    // Attached in the same tick as `listen` completes, so no connection can arrive before it.
    server.on('connection', (socket) => {
      broker.accept(socket);
    });
    return broker;
  }

  /** Closes the server, destroys open connections and cancels parked requests and timers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.coordinator.shutdown();
    for (const connection of this.connections) this.closeConnection(connection);
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  /** The group's committed offset for a partition (the next offset it will consume), if any. */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    return this.store.offsets.get(groupId)?.get(offsetKey(topic, partition))?.offset;
  }

  /** Offset the next record produced to the partition will get; -1 if there is no such partition. */
  highWatermark(topic: string, partition: number): number {
    return this.store.topics.get(topic)?.[partition]?.highWatermark ?? -1;
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const connection: Connection = { socket, fetchWaiters: new Set() };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closeConnection(connection);
    });
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && !socket.destroyed) {
        const size = pending.readInt32BE(0);
        if (size < 10 || size > MAX_FRAME_BYTES) {
          this.fail(connection, new ProtocolError(`invalid frame size ${size}`));
          return;
        }
        if (pending.length < 4 + size) return;
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        this.handleFrame(connection, frame);
      }
    });
  }

  private closeConnection(connection: Connection): void {
    for (const waiter of connection.fetchWaiters) clearTimeout(waiter.timer);
    connection.fetchWaiters.clear();
    this.connections.delete(connection);
    connection.socket.destroy();
  }

  private fail(connection: Connection, error: unknown): void {
    this.closeConnection(connection);
    this.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  private handleFrame(connection: Connection, frame: Buffer): void {
    try {
      const request = new Reader(frame);
      const apiKey = request.int16();
      const version = request.int16();
      const correlationId = request.int32();
      const clientId = request.nullableString() ?? '';
      const reply: Reply = (body) => {
        this.send(connection, correlationId, body);
      };
      const api = this.handlers.table.get(apiKey);
      if (api && version >= api.min && version <= api.max) {
        api.handle(request, reply, { connection, version, clientId });
      } else if (apiKey === ApiKey.ApiVersions) {
        // Kafka answers an unknown ApiVersions version with a v0 error response listing its APIs.
        reply(() => this.handlers.apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION, 0));
      } else {
        throw new ProtocolError(`unsupported API key ${apiKey} version ${version}`);
      }
    } catch (error) {
      this.fail(connection, error);
    }
  }

  private send(connection: Connection, correlationId: number, body: Parameters<Reply>[0]): void {
    if (connection.socket.destroyed) return;
    try {
      const payload = body().toBuffer();
      const header = Buffer.allocUnsafe(8);
      header.writeInt32BE(payload.length + 4, 0);
      header.writeInt32BE(correlationId, 4);
      connection.socket.write(Buffer.concat([header, payload]));
    } catch (error) {
      this.fail(connection, error);
    }
  }
}
