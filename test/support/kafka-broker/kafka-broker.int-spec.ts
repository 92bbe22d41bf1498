import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  AssignerProtocol,
  Kafka,
  logLevel,
  Partitioners,
  type ConsumerConfig,
  type IHeaders,
  type Producer,
} from 'kafkajs';

import { KafkaTestBroker, type KafkaTestBrokerOptions } from './kafka-broker.js';
import { ApiKey, ErrorCode, Reader, Writer } from './protocol.js';

/** Polls `predicate` until it holds, failing after `timeoutMs`. */
async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(20);
  }
}

interface Received {
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: IHeaders;
}

/** Settings that keep group rebalances and empty fetches fast. */
const FAST_CONSUMER: Omit<ConsumerConfig, 'groupId'> = {
  maxWaitTimeInMs: 100,
  heartbeatInterval: 100,
  sessionTimeout: 3_000,
  rebalanceTimeout: 3_000,
  retry: { initialRetryTime: 50, retries: 10 },
};

/** One broker plus the kafkajs clients a test creates; `dispose()` tears them all down. */
async function setup(options: KafkaTestBrokerOptions = {}) {
  let broker = await KafkaTestBroker.start(options);
  const kafka = new Kafka({
    clientId: 'kafka-broker-spec',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 50, retries: 10 },
  });
  const disposers: (() => Promise<void>)[] = [];

  return {
    kafka,
    get broker() {
      return broker;
    },
    async producer(): Promise<Producer> {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      disposers.push(() => producer.disconnect());
      await producer.connect();
      return producer;
    },
    /** A running group consumer that appends everything it receives to the returned array. */
    async consumer(groupId: string, topic: string, fromBeginning = true) {
      const consumer = kafka.consumer({ groupId, ...FAST_CONSUMER });
      disposers.push(() => consumer.disconnect());
      const received: Received[] = [];
      let assignment: Partial<Record<string, number[]>> = {};
      let fetches = 0;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        assignment = payload.memberAssignment;
      });
      consumer.on(consumer.events.FETCH, () => {
        fetches += 1;
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning });
      await consumer.run({
        eachMessage: ({ partition, message }) => {
          received.push({
            partition,
            offset: message.offset,
            key: message.key?.toString(),
            value: message.value?.toString(),
            headers: message.headers ?? {},
          });
          return Promise.resolve();
        },
      });
      return {
        consumer,
        received,
        assignment: () => assignment,
        fetches: () => fetches,
      };
    },
    /** Stops the broker and starts a new one on the same port with the same store. */
    async restartBroker(): Promise<void> {
      const { port, store } = broker;
      await broker.stop();
      broker = await KafkaTestBroker.start({ ...options, port, store });
    },
    async dispose(): Promise<void> {
      for (const dispose of disposers.reverse()) await dispose().catch(() => undefined);
      await broker.stop();
    },
  };
}

const values = (received: Received[]) => received.map((m) => m.value);

/** A minimal raw Kafka client, for requests kafkajs cannot be made to send. */
class RawClient {
  private nextCorrelationId = 1;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly waiting = new Map<number, (body: Reader) => void>();
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (
        this.buffered.length >= 4 &&
        this.buffered.length >= 4 + this.buffered.readInt32BE(0)
      ) {
        const frame = this.buffered.subarray(4, 4 + this.buffered.readInt32BE(0));
        this.buffered = this.buffered.subarray(4 + frame.length);
        const reader = new Reader(frame);
        const correlationId = reader.int32();
        this.waiting.get(correlationId)?.(reader);
        this.waiting.delete(correlationId);
      }
    });
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    return new RawClient(socket);
  }

  request(apiKey: number, version: number, body: Writer): Promise<Reader> {
    const correlationId = this.nextCorrelationId++;
    const payload = new Writer()
      .int16(apiKey)
      .int16(version)
      .int32(correlationId)
      .string('raw-client')
      .raw(body.toBuffer())
      .toBuffer();
    const frame = new Writer().int32(payload.length).raw(payload).toBuffer();
    return new Promise((resolve) => {
      this.waiting.set(correlationId, resolve);
      this.socket.write(frame);
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

void describe('KafkaTestBroker with the kafkajs client', () => {
  void it('delivers key, value and headers as produced', async () => {
    const env = await setup();
    try {
      const producer = await env.producer();
      await producer.send({
        topic: 'with-headers',
        messages: [
          {
            key: 'article-1',
            value: '{"id":1}',
            headers: { 'trace-id': 'abc-123', 'content-type': 'application/json' },
          },
        ],
      });
      const { received } = await env.consumer('headers-group', 'with-headers');
      await waitFor(() => received.length === 1, 10_000, 'the message');
      const [message] = received;
      assert.ok(message);
      assert.equal(message.key, 'article-1');
      assert.equal(message.value, '{"id":1}');
      assert.equal(message.offset, '0');
      assert.equal(String(message.headers['trace-id']), 'abc-123');
      assert.equal(String(message.headers['content-type']), 'application/json');
    } finally {
      await env.dispose();
    }
  });

  void it('consumes earlier messages with fromBeginning, and only new ones without it', async () => {
    const env = await setup({ topics: { earlier: { partitions: 1 } } });
    try {
      const producer = await env.producer();
      const early = ['a', 'b', 'c', 'd', 'e'];
      for (const value of early) await producer.send({ topic: 'earlier', messages: [{ value }] });

      const fromStart = await env.consumer('from-beginning', 'earlier', true);
      await waitFor(() => fromStart.received.length === early.length, 10_000, 'early messages');
      assert.deepEqual(values(fromStart.received), early);

      const latest = await env.consumer('from-latest', 'earlier', false);
      await waitFor(() => latest.fetches() > 0, 10_000, 'first fetch of the latest-offset group');
      await producer.send({ topic: 'earlier', messages: [{ value: 'f' }] });
      await waitFor(() => latest.received.length === 1, 10_000, 'the new message');
      await waitFor(() => fromStart.received.length === 6, 10_000, 'the new message, group 1');
      assert.deepEqual(values(latest.received), ['f']);
      assert.equal(latest.received.at(0)?.offset, '5');
    } finally {
      await env.dispose();
    }
  });

  void it('splits a 2-partition topic between two group members and delivers each message once', async () => {
    const env = await setup({ topics: { split: { partitions: 2 } } });
    try {
      const a = await env.consumer('split-group', 'split');
      await waitFor(() => (a.assignment().split ?? []).length === 2, 10_000, 'first member');
      const b = await env.consumer('split-group', 'split');
      await waitFor(
        () => a.assignment().split?.length === 1 && b.assignment().split?.length === 1,
        10_000,
        'rebalance to one partition each',
      );
      const owned = [...(a.assignment().split ?? []), ...(b.assignment().split ?? [])].sort();
      assert.deepEqual(owned, [0, 1]);

      const producer = await env.producer();
      const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
      await producer.send({
        topic: 'split',
        messages: sent.map((value, i) => ({ value, partition: i % 2 })),
      });
      const total = () => a.received.length + b.received.length;
      await waitFor(() => total() === sent.length, 10_000, 'all messages');
      await waitFor(
        () =>
          env.broker.committedOffset('split-group', 'split', 0) === 10 &&
          env.broker.committedOffset('split-group', 'split', 1) === 10,
        10_000,
        'commits',
      );
      assert.equal(total(), sent.length);
      assert.deepEqual(values([...a.received, ...b.received]).sort(), [...sent].sort());
      for (const member of [a, b]) {
        const [partition] = member.assignment().split ?? [];
        assert.ok(member.received.every((m) => m.partition === partition));
        assert.equal(member.received.length, 10);
      }
    } finally {
      await env.dispose();
    }
  });

  void it('resumes a group from its committed offsets after a consumer restart', async () => {
    const env = await setup();
    try {
      const producer = await env.producer();
      const first = ['1', '2', '3', '4'];
      await producer.send({ topic: 'resume', messages: first.map((value) => ({ value })) });

      const c1 = await env.consumer('resume-group', 'resume');
      await waitFor(() => c1.received.length === first.length, 10_000, 'first messages');
      await waitFor(() => env.broker.committedOffset('resume-group', 'resume', 0) === 4);
      await c1.consumer.disconnect();

      const second = ['5', '6', '7'];
      await producer.send({ topic: 'resume', messages: second.map((value) => ({ value })) });
      const c2 = await env.consumer('resume-group', 'resume');
      await waitFor(() => c2.received.length === second.length, 10_000, 'new messages');
      await waitFor(() => env.broker.committedOffset('resume-group', 'resume', 0) === 7);
      assert.deepEqual(values(c2.received), second);
      assert.deepEqual(
        c2.received.map((m) => m.offset),
        ['4', '5', '6'],
      );
    } finally {
      await env.dispose();
    }
  });

  void it('keeps data and committed offsets across a broker restart with the same store', async () => {
    const env = await setup({ topics: { durable: { partitions: 1 } } });
    try {
      const producer = await env.producer();
      await producer.send({ topic: 'durable', messages: [{ value: 'a' }, { value: 'b' }] });
      const c = await env.consumer('durable-group', 'durable');
      await waitFor(() => c.received.length === 2, 10_000, 'messages before restart');
      await waitFor(() => env.broker.committedOffset('durable-group', 'durable', 0) === 2);

      const oldPort = env.broker.port;
      await env.restartBroker();
      assert.equal(env.broker.port, oldPort);

      const admin = env.kafka.admin();
      try {
        await admin.connect();
        const offsets = await admin.fetchOffsets({ groupId: 'durable-group', topics: ['durable'] });
        assert.deepEqual(offsets.at(0)?.partitions, [
          { partition: 0, offset: '2', metadata: null },
        ]);
      } finally {
        await admin.disconnect();
      }

      await producer.send({ topic: 'durable', messages: [{ value: 'c' }] });
      await waitFor(() => c.received.length >= 3, 20_000, 'message after restart');
      await waitFor(() => env.broker.committedOffset('durable-group', 'durable', 0) === 3);
      // The group survived the restart too, so nothing was redelivered.
      assert.deepEqual(values(c.received), ['a', 'b', 'c']);

      const reader = await env.consumer('after-restart', 'durable');
      await waitFor(() => reader.received.length === 3, 10_000, 'all data from a new group');
      assert.deepEqual(values(reader.received), ['a', 'b', 'c']);
    } finally {
      await env.dispose();
    }
  });

  void it('creates topics through the admin client', async () => {
    const env = await setup({ autoCreatePartitions: 0 });
    try {
      const admin = env.kafka.admin();
      try {
        await admin.connect();
        const created = await admin.createTopics({ topics: [{ topic: 'made', numPartitions: 3 }] });
        assert.equal(created, true);
        const metadata = await admin.fetchTopicMetadata({ topics: ['made'] });
        assert.equal(metadata.topics.at(0)?.partitions.length, 3);
        const again = await admin.createTopics({ topics: [{ topic: 'made', numPartitions: 3 }] });
        assert.equal(again, false);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await env.dispose();
    }
  });
});

void describe('KafkaTestBroker at the protocol level', () => {
  void it('parks a Fetch until data arrives or max wait passes', async () => {
    const env = await setup({ topics: { parked: { partitions: 1 } } });
    const raw = await RawClient.connect(env.broker.port);
    try {
      const fetchBody = (maxWaitMs: number) =>
        new Writer()
          .int32(-1)
          .int32(maxWaitMs)
          .int32(1)
          .int32(1 << 20)
          .int8(0)
          .array(['parked'], (w, topic) =>
            w.string(topic).array([0], (p, partition) =>
              p
                .int32(partition)
                .int64(0)
                .int32(1 << 20),
            ),
          );
      const recordBytes = (reader: Reader) => {
        reader.int32(); // throttle
        const topics = reader.array((t) => {
          t.string();
          return t.array((p) => {
            p.int32();
            p.int16();
            p.int64();
            p.int64();
            p.array((a) => [a.int64(), a.int64()]);
            return p.bytes()?.length ?? 0;
          });
        });
        return topics.at(0)?.at(0) ?? -1;
      };

      let started = Date.now();
      const empty = await raw.request(ApiKey.Fetch, 4, fetchBody(150));
      assert.ok(Date.now() - started >= 140, 'an empty fetch waits for max wait');
      assert.equal(recordBytes(empty), 0);

      started = Date.now();
      const pending = raw.request(ApiKey.Fetch, 4, fetchBody(8_000));
      const producer = await env.producer();
      await producer.send({ topic: 'parked', messages: [{ value: 'wake up' }] });
      const woken = await pending;
      assert.ok(Date.now() - started < 5_000, 'a produce answers a parked fetch');
      assert.ok(recordBytes(woken) > 0);
    } finally {
      raw.close();
      await env.dispose();
    }
  });

  void it('closes connections that send garbage and keeps serving others', async () => {
    const errors: Error[] = [];
    const env = await setup({ onError: (error) => errors.push(error) });
    try {
      const badSize = await RawClient.connect(env.broker.port);
      badSize.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await badSize.closed;

      const truncated = await RawClient.connect(env.broker.port);
      void truncated.request(ApiKey.Metadata, 1, new Writer().int32(5).string('only-one'));
      await truncated.closed;

      const unknownApi = await RawClient.connect(env.broker.port);
      void unknownApi.request(4242, 0, new Writer());
      await unknownApi.closed;

      const unsupportedVersion = await RawClient.connect(env.broker.port);
      void unsupportedVersion.request(ApiKey.Metadata, 9, new Writer().int32(-1));
      await unsupportedVersion.closed;

      assert.equal(errors.length, 4);

      const producer = await env.producer();
      await producer.send({ topic: 'still-alive', messages: [{ value: 'ok' }] });
      assert.equal(env.broker.highWatermark('still-alive', 0), 1);
    } finally {
      await env.dispose();
    }
  });

  void it('evicts a member whose session times out', async () => {
    const env = await setup({ topics: { eviction: { partitions: 2 } } });
    const raw = await RawClient.connect(env.broker.port);
    try {
      const metadata = AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: ['eviction'],
        userData: Buffer.alloc(0),
      });
      const join = await raw.request(
        ApiKey.JoinGroup,
        0,
        new Writer()
          .string('eviction-group')
          .int32(200) // session timeout
          .string('')
          .string('consumer')
          .array(['RoundRobinAssigner'], (w, name) => w.string(name).bytes(metadata)),
      );
      assert.equal(join.int16(), ErrorCode.NONE);
      const generationId = join.int32();
      join.string(); // protocol
      join.string(); // leader
      const memberId = join.string();
      const sync = await raw.request(
        ApiKey.SyncGroup,
        0,
        new Writer().string('eviction-group').int32(generationId).string(memberId).int32(0),
      );
      assert.equal(sync.int16(), ErrorCode.NONE);

      // The raw member never heartbeats; once its session expires the kafkajs member gets it all.
      const c = await env.consumer('eviction-group', 'eviction');
      await waitFor(() => c.assignment().eviction?.length === 2, 2_500, 'the dead member to go');
      const heartbeat = await raw.request(
        ApiKey.Heartbeat,
        0,
        new Writer().string('eviction-group').int32(generationId).string(memberId),
      );
      assert.equal(heartbeat.int16(), ErrorCode.UNKNOWN_MEMBER_ID);
    } finally {
      raw.close();
      await env.dispose();
    }
  });
});
