import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { waitFor } from '../support/database.js';
import { KafkaTestBroker } from '../support/kafka-broker/kafka-broker.js';
import { readTopic } from '../support/kafka-broker/read-topic.js';
import { RemotePeer } from '../support/remote-peer/index.js';
import { type Bridge, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

const SECRET = 'webhook-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const ARTICLES_TOPIC = 'articles.events';
const COMMENTS_TOPIC = 'comments.events';

interface EventMessage {
  id: string;
  type: string;
  occurredAt: string;
  article: { platformId: string; id: string };
  comment: {
    id: string;
    apId: string;
    parentId: string | null;
    status: string;
    contentText: string;
    removalReason: string | null;
    platformId: string | null;
    author: { actorId: string };
  };
}

interface Hook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  event: EventMessage;
}

/** A webhook endpoint of the platform: verifies each body as the docs tell receivers to. */
class WebhookReceiver {
  readonly hooks: Hook[] = [];
  /** Statuses to answer, in order, to bodies whose payload contains `text`, before a 204. */
  private readonly script: { text: string; statuses: number[] }[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const payload = Buffer.from(body.split('.')[1] ?? '', 'base64url').toString('utf8');
      const scripted = this.script.find((s) => payload.includes(s.text))?.statuses.shift();
      if (scripted !== undefined) {
        res.writeHead(scripted).end('not now');
        return;
      }
      compactVerify(body, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] }).then(
        ({ payload }) => {
          const event = JSON.parse(new TextDecoder().decode(payload)) as EventMessage;
          this.hooks.push({ headers: req.headers, body, event });
          res.writeHead(204).end();
        },
        () => {
          res.writeHead(401).end('bad signature');
        },
      );
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/comments`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  /** Answers bodies mentioning `text` with `statuses` first. */
  failFirst(text: string, ...statuses: number[]): void {
    this.script.push({ text, statuses });
  }

  find(type: string, commentApId: string): Hook | undefined {
    return this.hooks.find((h) => h.event.type === type && h.event.comment.apId === commentApId);
  }
}

// Comment events reach the platform by webhook (signed JWS) and Kafka; authors answer from the
// platform by API and Kafka, and the commenter's server receives the answer signed.
void describe('comment events and reply-back, end to end', () => {
  let broker: KafkaTestBroker;
  let bridge: Bridge;
  let alice: RemotePeer;
  let receiver: WebhookReceiver;
  let kafka: Kafka;
  let producer: Producer;
  let articleUri: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    broker = await KafkaTestBroker.start({
      topics: {
        [ARTICLES_TOPIC]: { partitions: 1 },
        [`${ARTICLES_TOPIC}.dlq`]: { partitions: 1 },
        [COMMENTS_TOPIC]: { partitions: 2 },
      },
    });
    cleanups.push(() => broker.stop());
    receiver = new WebhookReceiver();
    const hookUrl = await receiver.start();
    cleanups.push(() => receiver.stop());
    bridge = await startBridge({
      KAFKA_BROKERS: broker.brokers.join(','),
      COMMENT_WEBHOOK_URLS: hookUrl,
      COMMENT_WEBHOOK_SECRET: SECRET,
      DELIVERY_RETRY_SCALE: '0.01',
    });
    cleanups.push(() => bridge.dispose());
    alice = await RemotePeer.start({ username: 'alice' });
    cleanups.push(() => alice.stop());
    kafka = new Kafka({
      clientId: 'comment-events-e2e',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, retries: 10 },
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const res = await bridge.api('POST', '/api/v1/events', publishedEvent('evented'), ['ingest']);
    assert.equal(res.status, 202);
    articleUri = `${bridge.origin}/articles/${((await res.json()) as { articleId: string }).articleId}`;
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  const inbox = () => `${bridge.origin}/inbox`;
  const post = async (
    content: string,
    options: { inReplyTo?: string; visibility?: 'public' | 'followers' } = {},
  ) => {
    const made = alice.createNote({
      content,
      inReplyTo: options.inReplyTo ?? articleUri,
      ...options,
    });
    const res = await alice.signedPost(inbox(), made.create);
    assert.equal(res.status, 202, await res.text());
    return made.note;
  };
  const reply = async (content: string) => String((await post(content)).id);
  const answer = (commentId: string, body: Record<string, unknown>) =>
    bridge.api('POST', `/api/v1/comments/${commentId}/replies`, body, ['comments:write']);
  /** Creates alice received whose Note answers `apId`. */
  const createsAnswering = (apId: string) =>
    alice.received.filter(
      (d) =>
        d.activity?.type === 'Create' &&
        (d.activity.object as { inReplyTo?: string }).inReplyTo === apId,
    );
  const hook = async (type: string, apId: string) => {
    await waitFor(() => receiver.find(type, apId) !== undefined, 5000, `webhook ${type}`);
    const found = receiver.find(type, apId);
    assert.ok(found);
    return found;
  };

  it('a reply reaches the platform as a signed webhook and a Kafka event', async () => {
    const apId = await reply('<p>Great story, thanks!</p>');
    const { event, headers, body } = await hook('comment.created', apId);
    assert.equal(headers['content-type'], 'application/jose');
    assert.equal(headers['webhook-event'], 'comment.created');
    assert.equal(headers['webhook-id'], event.id);
    const header = decodeProtectedHeader(body);
    assert.equal(header.alg, 'HS256');
    assert.ok(typeof header.iat === 'number' && Math.abs(header.iat - Date.now() / 1000) < 60);
    assert.equal(event.article.platformId, 'evented');
    assert.equal(event.comment.status, 'approved');
    assert.equal(event.comment.contentText, 'Great story, thanks!');
    assert.equal(event.comment.author.actorId, alice.actorUrl);

    // A body signed with another secret is refused by the same receiver.
    await assert.rejects(
      compactVerify(body.replace(/\.[^.]+$/, '.AAAA'), new TextEncoder().encode(SECRET)),
    );

    const messages = await readTopic(kafka, COMMENTS_TOPIC, 1, { timeoutMs: 10_000 });
    const onKafka = messages
      .map((m) => ({
        key: m.key,
        headers: m.headers,
        event: JSON.parse(m.value ?? '') as EventMessage,
      }))
      .find((m) => m.event.comment.apId === apId);
    assert.ok(onKafka, 'the event is on the comments topic');
    assert.equal(onKafka.key, 'evented');
    assert.equal(onKafka.headers.type, 'comment.created');
    assert.deepEqual(onKafka.event, event);
  });

  it('held, approved, edited and deleted comments each send their event; held ones are not answered', async () => {
    const policy = await bridge.api('PUT', '/api/v1/publications/pub-1/moderation', {
      mode: 'hold_all',
      keywords: [],
    });
    assert.equal(policy.status, 200, await policy.text());
    try {
      const note = await post('<p>Please hold me</p>');
      const apId = String(note.id);
      const created = await hook('comment.created', apId);
      assert.equal(created.event.comment.status, 'pending');
      // A held comment cannot be answered yet.
      const early = await answer(created.event.comment.id, {
        authorId: 'u-ada',
        contentHtml: '<p>Hi</p>',
      });
      assert.equal(early.status, 409);
      assert.match(await early.text(), /comment_not_approved/);
      const approve = await bridge.api(
        'POST',
        `/api/v1/comments/${created.event.comment.id}/approve`,
        undefined,
        ['comments:write'],
      );
      assert.equal(approve.status, 200);
      const approved = await hook('comment.approved', apId);
      assert.equal(approved.event.comment.status, 'approved');
      assert.ok(BigInt(approved.event.id) > BigInt(created.event.id), 'ids increase');

      const updated = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const edit = {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${apId}#updates/1`,
        type: 'Update',
        actor: alice.actorUrl,
        to: note.to,
        cc: note.cc,
        object: { ...note, content: '<p>Please hold me, edited</p>', updated },
      };
      assert.equal((await alice.signedPost(inbox(), edit)).status, 202);
      const edited = await hook('comment.updated', apId);
      assert.equal(edited.event.comment.contentText, 'Please hold me, edited');

      const del = {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${apId}#delete`,
        type: 'Delete',
        actor: alice.actorUrl,
        object: { id: apId, type: 'Tombstone' },
      };
      assert.equal((await alice.signedPost(inbox(), del)).status, 202);
      const deleted = await hook('comment.deleted', apId);
      assert.equal(deleted.event.comment.status, 'removed');
      assert.equal(deleted.event.comment.removalReason, 'deleted by its author');
    } finally {
      await bridge.api('PUT', '/api/v1/publications/pub-1/moderation', {
        mode: 'auto',
        keywords: [],
      });
    }
  });

  it('a webhook answered 500 is retried until it is delivered', async () => {
    receiver.failFirst('Retry me', 500, 503);
    const apId = await reply('<p>Retry me</p>');
    await hook('comment.created', apId);
    const rows = () =>
      bridge.sql<{ status: string; attempts: number; last_status: number }>(
        `SELECT d.status, d.attempts, d.last_status FROM comment_webhook_deliveries d
           JOIN comment_events e ON e.seq = d.event_seq
          WHERE e.snapshot->>'ap_id' = $1 AND e.type = 'comment.created'`,
        [apId],
      );
    // The row is written once the receiver has answered.
    await waitFor(async () => (await rows())[0]?.status === 'delivered', 5000, 'the delivery row');
    assert.deepEqual(await rows(), [{ status: 'delivered', attempts: 3, last_status: 204 }]);
  });

  it('the author answers through the API: the commenter’s server receives a signed Create(Note)', async () => {
    const apId = await reply('<p>Who are you, anyway?</p>');
    const { event } = await hook('comment.created', apId);
    const res = await answer(event.comment.id, {
      authorId: 'u-ada',
      contentHtml: '<p>The author, <b>hello</b>! <script>x()</script></p>',
      replyId: 'api-answer-1',
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const mine = (JSON.parse(text) as { comment: { id: string; apId: string; parentId: string } })
      .comment;
    assert.equal(mine.parentId, event.comment.id);

    const delivery = await alice.waitForActivity(
      'Create',
      (a) => (a.object as { inReplyTo?: string }).inReplyTo === apId,
      { timeoutMs: 10_000 },
    );
    assert.equal(delivery.verdict.ok, true, delivery.verdict.reason);
    assert.match(delivery.verdict.owner ?? '', /\/actors\//);
    const note = delivery.activity.object as Record<string, unknown>;
    assert.equal(note.type, 'Note');
    assert.equal(note.id, mine.apId);
    assert.equal(delivery.activity.actor, note.attributedTo);
    assert.deepEqual(note.tag, [
      { type: 'Mention', href: alice.actorUrl, name: `@alice@${alice.domain}` },
    ]);
    assert.ok((note.cc as string[]).includes(alice.actorUrl));
    assert.match(
      String(note.content),
      /class="u-url mention">@<span>alice<\/span><\/a><\/span> The author, <b>hello<\/b>!/,
    );
    assert.doesNotMatch(String(note.content), /script/);

    // The Note is served at its id, and the answer is a comment (and an event) too.
    const served = await alice.signedGet(mine.apId);
    assert.equal(served.status, 200);
    assert.equal(((await served.json()) as { id: string }).id, mine.apId);
    const created = await hook('comment.created', mine.apId);
    assert.equal(created.event.comment.parentId, event.comment.id);
    assert.equal(created.event.comment.platformId, 'api-answer-1');

    // The same replyId again: the same answer, 200, nothing sent twice.
    const again = await answer(event.comment.id, {
      authorId: 'u-ada',
      contentHtml: '<p>The author, <b>hello</b>!</p>',
      replyId: 'api-answer-1',
    });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { comment: { id: string } }).comment.id, mine.id);
    await delay(500);
    assert.equal(createsAnswering(apId).length, 1);
  });

  it('a followers-only comment is not answered in public', async () => {
    const note = await post('<p>Between us</p>', { visibility: 'followers' });
    const stored = () =>
      bridge.sql<{ id: string }>('SELECT id FROM comments WHERE ap_id = $1', [String(note.id)]);
    await waitFor(async () => (await stored()).length === 1, 2000, 'the hidden comment');
    const id = (await stored())[0]?.id;
    assert.ok(id);
    const res = await answer(id, { authorId: 'u-ada', contentHtml: '<p>In public?</p>' });
    assert.equal(res.status, 409);
    assert.match(await res.text(), /comment_not_public/);
  });

  it('a comment.reply Kafka event answers once, however often it is delivered', async () => {
    const apId = await reply('<p>Kafka question</p>');
    const { event } = await hook('comment.created', apId);
    const message = {
      schemaVersion: 1,
      eventId: randomUUID(),
      type: 'comment.reply',
      occurredAt: new Date().toISOString(),
      reply: {
        replyId: 'platform-reply-1',
        commentId: event.comment.id,
        authorId: 'u-ada',
        contentHtml: '<p>Answered from Kafka</p>',
      },
    };
    const value = JSON.stringify(message);
    await producer.send({
      topic: ARTICLES_TOPIC,
      messages: [
        { key: 'evented', value },
        { key: 'evented', value },
      ],
    });
    // Both copies are consumed: one answers, the other is a logged duplicate.
    await waitFor(
      async () =>
        (
          await bridge.sql<{ outcome: string }>(
            'SELECT outcome FROM ingest_log WHERE event_id = $1 ORDER BY id',
            [message.eventId],
          )
        )
          .map((r) => r.outcome)
          .join() === 'applied,duplicate',
      10_000,
      'both copies in the ingest log',
    );
    await alice.waitForActivity(
      'Create',
      (a) => (a.object as { inReplyTo?: string }).inReplyTo === apId,
      { timeoutMs: 10_000 },
    );
    await delay(500);
    assert.equal(createsAnswering(apId).length, 1, 'one Create');
    const answers = await bridge.sql<{ id: string }>(
      `SELECT id FROM comments WHERE platform_id = 'platform-reply-1'`,
    );
    assert.equal(answers.length, 1);

    // An answer to an unknown comment is rejected and logged, not lost silently.
    await producer.send({
      topic: ARTICLES_TOPIC,
      messages: [
        {
          key: 'evented',
          value: JSON.stringify({
            ...message,
            eventId: randomUUID(),
            reply: { ...message.reply, replyId: 'platform-reply-2', commentId: randomUUID() },
          }),
        },
      ],
    });
    await waitFor(
      async () =>
        (
          await bridge.sql(
            `SELECT 1 FROM ingest_log WHERE event_type = 'comment.reply' AND outcome = 'rejected' AND reason = 'comment_not_found'`,
          )
        ).length === 1,
      10_000,
      'the rejected answer in the ingest log',
    );
  });

  it('answers with bad bodies are 400s with the reason; unknown comments 404', async () => {
    const bad = await bridge.api(
      'POST',
      `/api/v1/comments/${randomUUID()}/replies`,
      { authorId: 'u-ada' },
      ['comments:write'],
    );
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /contentHtml/);
    const control = await answer(randomUUID(), {
      authorId: 'u-ada',
      contentHtml: '<p>hi</p>',
      replyId: 'bad\u0000id',
    });
    assert.equal(control.status, 400);
    assert.match(await control.text(), /replyId/);
    const unknown = await bridge.api(
      'POST',
      `/api/v1/comments/${randomUUID()}/replies`,
      { authorId: 'u-ada', contentHtml: '<p>hi</p>' },
      ['comments:write'],
    );
    assert.equal(unknown.status, 404);
    const readOnly = await bridge.api(
      'POST',
      `/api/v1/comments/${randomUUID()}/replies`,
      { authorId: 'u-ada', contentHtml: '<p>hi</p>' },
      ['comments:read'],
    );
    assert.equal(readOnly.status, 403);
  });

  it('with Kafka down, webhooks still arrive; the events reach Kafka once it is back', async () => {
    const port = Number(broker.brokers[0]?.split(':').at(-1));
    const store = broker.store;
    await broker.stop();
    const apId = await reply('<p>While Kafka sleeps</p>');
    await hook('comment.created', apId);
    const [pending] = await bridge.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM comment_events WHERE kafka_done_at IS NULL`,
    );
    assert.ok(pending && pending.n >= 1, 'not sent to Kafka while it is down');

    broker = await KafkaTestBroker.start({ port, store });
    await waitFor(
      async () =>
        (await bridge.sql(`SELECT 1 FROM comment_events WHERE kafka_done_at IS NULL`)).length === 0,
      40_000,
      'the events to reach Kafka',
    );
    const [total] = await bridge.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM comment_events`,
    );
    assert.ok(total);
    const messages = await readTopic(kafka, COMMENTS_TOPIC, total.n, { timeoutMs: 10_000 });
    const found = messages.filter(
      (m) => (JSON.parse(m.value ?? '{}') as EventMessage).comment.apId === apId,
    );
    assert.equal(found.length, 1);
  });
});
