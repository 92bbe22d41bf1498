import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import {
  type CallbackQuery,
  type IntentVerdict,
  INTENT_RESPONSE_HEADERS,
  SIGNATURE_HEADER,
  type SignatureVerdict,
  WEBSUB_SIGNATURE_ALGORITHMS,
  type WebSubMode,
  buildSubscribeRequest,
  generateSecret,
  interpretHubResponse,
  renewAt,
  verifyIntent,
  verifySignature,
} from '../../../src/feeds/websub/websub.js';
import { WebSubTestHub } from './websub-hub.js';

const RSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Café notes</title>
<item><title>Über WebSub</title><link>https://blog.example/p/1</link></item>
</channel></rss>`;

/** What the subscriber expects at one callback. */
interface CallbackState {
  topicUrl: string;
  mode: WebSubMode;
  secret: string;
  /** Echo a wrong challenge (a broken subscriber). */
  wrongChallenge?: boolean;
}

interface IntentRecord {
  readonly id: string;
  readonly query: CallbackQuery;
  readonly verdict: IntentVerdict;
}

interface DeliveryRecord {
  readonly id: string;
  readonly body: Buffer;
  readonly headers: IncomingHttpHeaders;
  readonly verdict: SignatureVerdict;
}

/**
 * A minimal subscriber callback server built only from the subscriber building blocks: GET →
 * verifyIntent, POST → verifySignature (always answering 2xx, as the bridge will).
 */
class TestSubscriber {
  readonly callbacks = new Map<string, CallbackState>();
  readonly intents: IntentRecord[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  readonly origin: string;

  private constructor(private readonly server: Server) {
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<TestSubscriber> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const subscriber = new TestSubscriber(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      subscriber.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    return subscriber;
  }

  callbackUrl(id: string): string {
    return `${this.origin}/websub/${id}`;
  }

  lastIntent(id: string): IntentRecord {
    const found = this.intents.filter((r) => r.id === id).at(-1);
    assert.ok(found, `no intent verification for ${id}`);
    return found;
  }

  lastDelivery(id: string): DeliveryRecord {
    const found = this.deliveries.filter((r) => r.id === id).at(-1);
    assert.ok(found, `no delivery for ${id}`);
    return found;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const id = /^\/websub\/([^/]+)$/.exec(url.pathname)?.[1];
    if (id === undefined) {
      res.writeHead(404).end();
      return;
    }
    const state = this.callbacks.get(id);
    if (req.method === 'GET') {
      const query: CallbackQuery = {};
      for (const key of new Set(url.searchParams.keys())) {
        const values = url.searchParams.getAll(key);
        query[key] = values.length === 1 ? values[0] : values;
      }
      const verdict = verifyIntent(
        query,
        state ? { topicUrl: state.topicUrl, mode: state.mode } : null,
      );
      this.intents.push({ id, query, verdict });
      if (verdict.ok) {
        const body = state?.wrongChallenge === true ? `${verdict.challenge}x` : verdict.challenge;
        res.writeHead(200, INTENT_RESPONSE_HEADERS).end(body);
      } else {
        res.writeHead(verdict.status, { 'Content-Type': 'text/plain' }).end(verdict.reason);
      }
      return;
    }
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      if (!state) {
        res.writeHead(410).end(); // no such subscription (any more)
        return;
      }
      const body = Buffer.concat(chunks);
      const header = req.headers[SIGNATURE_HEADER];
      const verdict = verifySignature(
        Array.isArray(header) ? header.join(', ') : header,
        body,
        state.secret,
      );
      this.deliveries.push({ id, body, headers: req.headers, verdict });
      // Acknowledged either way; only verified content would be processed.
      res.writeHead(202).end();
      return;
    }
    res.writeHead(405).end();
  }
}

describe('WebSubTestHub with a subscriber built on src/feeds/websub', () => {
  let hub: WebSubTestHub;
  let subscriber: TestSubscriber;

  before(async () => {
    hub = await WebSubTestHub.start({ maxLeaseSeconds: 86400 });
    subscriber = await TestSubscriber.start();
  });

  after(async () => {
    await hub.stop();
    await subscriber.stop();
  });

  /** A fresh topic URL (each test its own). */
  const newTopic = (): string => `https://blog.example/feeds/${randomUUID()}.xml`;

  /** Registers the callback as pending and sends the (un)subscription request to the hub. */
  async function request(
    id: string,
    topicUrl: string,
    mode: WebSubMode,
    options: { leaseSeconds?: number; wrongChallenge?: boolean; secret?: string } = {},
  ): Promise<{ status: number; secret: string }> {
    const secret = options.secret ?? subscriber.callbacks.get(id)?.secret ?? generateSecret();
    subscriber.callbacks.set(id, {
      topicUrl,
      mode,
      secret,
      ...(options.wrongChallenge === undefined ? {} : { wrongChallenge: options.wrongChallenge }),
    });
    const req = buildSubscribeRequest({
      hubUrl: hub.url,
      topicUrl,
      callbackUrl: subscriber.callbackUrl(id),
      secret,
      mode,
      ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
    });
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    await res.arrayBuffer();
    return { status: res.status, secret };
  }

  /** Subscribes `id` to a fresh topic and waits until the hub has verified it. */
  async function subscribed(id: string): Promise<{ topic: string; secret: string }> {
    const topic = newTopic();
    const { status, secret } = await request(id, topic, 'subscribe', { leaseSeconds: 3600 });
    assert.equal(status, 202);
    await hub.waitForVerified(topic, 5000, subscriber.callbackUrl(id));
    return { topic, secret };
  }

  it('subscribes, passes intent verification and receives signed content', async () => {
    const topic = newTopic();
    const callback = subscriber.callbackUrl('main');
    const { status, secret } = await request('main', topic, 'subscribe', { leaseSeconds: 3600 });
    assert.equal(status, 202);
    assert.deepEqual(interpretHubResponse(status), { ok: true });

    const sub = await hub.waitForVerified(topic, 5000);
    assert.equal(sub.callback, callback);
    assert.equal(sub.secret, secret);
    assert.equal(sub.leaseSeconds, 3600);
    assert.equal(sub.verified, true);

    // The subscriber saw the verification GET, agreed, and learnt the lease it needs to renew.
    const intent = subscriber.lastIntent('main');
    assert.ok(intent.verdict.ok);
    assert.equal(intent.verdict.leaseSeconds, 3600);
    assert.equal(intent.query['hub.mode'], 'subscribe');
    assert.equal(intent.query['hub.topic'], topic);
    const attempt = await hub.waitForVerificationAttempt(topic, callback);
    assert.equal(attempt.verified, true);
    assert.equal(attempt.body, intent.verdict.challenge);
    // Narrowed to the asserted 3600 above.
    const renew = renewAt(intent.verdict.leaseSeconds, attempt.at);
    assert.equal(renew.getTime() - attempt.at.getTime(), 2880 * 1000);

    assert.deepEqual(await hub.publish(topic, RSS), [202]);
    const delivery = subscriber.lastDelivery('main');
    assert.deepEqual(delivery.verdict, { ok: true });
    assert.equal(delivery.body.toString('utf8'), RSS);
    assert.equal(delivery.headers['content-type'], 'application/rss+xml');
    assert.match(delivery.headers[SIGNATURE_HEADER] as string, /^sha256=[0-9a-f]{64}$/);
    assert.equal(delivery.headers.link, `<${hub.url}>; rel="hub", <${topic}>; rel="self"`);
  });

  it('verifies content signed with every registered algorithm', async () => {
    const { topic } = await subscribed('algorithms');
    for (const algorithm of WEBSUB_SIGNATURE_ALGORITHMS) {
      assert.deepEqual(await hub.publish(topic, RSS, { signWith: algorithm }), [202]);
      const delivery = subscriber.lastDelivery('algorithms');
      assert.deepEqual(delivery.verdict, { ok: true }, algorithm);
      assert.ok((delivery.headers[SIGNATURE_HEADER] as string).startsWith(`${algorithm}=`));
    }
  });

  it('passes the content type through', async () => {
    const { topic } = await subscribed('atom');
    const atom = '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>';
    await hub.publish(topic, atom, { contentType: 'application/atom+xml; charset=utf-8' });
    const delivery = subscriber.lastDelivery('atom');
    assert.equal(delivery.headers['content-type'], 'application/atom+xml; charset=utf-8');
    assert.deepEqual(delivery.verdict, { ok: true });
  });

  it('detects tampered, unsigned and wrongly keyed content (still acknowledged)', async () => {
    const { topic } = await subscribed('faults');

    assert.deepEqual(await hub.publish(topic, RSS, { tamper: true }), [202]);
    let delivery = subscriber.lastDelivery('faults');
    assert.notEqual(delivery.body.toString('utf8'), RSS);
    assert.deepEqual(delivery.verdict, { ok: false, reason: 'mismatch' });

    assert.deepEqual(await hub.publish(topic, RSS, { omitSignature: true }), [202]);
    delivery = subscriber.lastDelivery('faults');
    assert.equal(delivery.headers[SIGNATURE_HEADER], undefined);
    assert.deepEqual(delivery.verdict, { ok: false, reason: 'missing' });

    const state = subscriber.callbacks.get('faults');
    assert.ok(state);
    state.secret = generateSecret(); // the hub still signs with the subscribed secret
    await hub.publish(topic, RSS);
    assert.deepEqual(subscriber.lastDelivery('faults').verdict, { ok: false, reason: 'mismatch' });
  });

  it('never verifies a subscriber that echoes the wrong challenge', async () => {
    const topic = newTopic();
    const callback = subscriber.callbackUrl('wrong-challenge');
    const { status } = await request('wrong-challenge', topic, 'subscribe', {
      wrongChallenge: true,
    });
    assert.equal(status, 202); // the hub's answer does not depend on verification

    const attempt = await hub.waitForVerificationAttempt(topic, callback);
    assert.equal(attempt.status, 200);
    assert.equal(attempt.body, `${attempt.challenge}x`);
    assert.equal(attempt.verified, false);
    assert.equal(hub.subscription(topic, callback)?.verified, false);
    await assert.rejects(hub.waitForVerified(topic, 200), /timed out/);
    assert.deepEqual(await hub.publish(topic, RSS), []);
  });

  it('refuses (404) a subscription it did not ask for, so the hub never activates it', async () => {
    const { topic: ours } = await subscribed('unsolicited');
    const foreign = newTopic();
    const callback = subscriber.callbackUrl('unsolicited');
    // Someone else subscribes our callback to another topic.
    const req = buildSubscribeRequest({
      hubUrl: hub.url,
      topicUrl: foreign,
      callbackUrl: callback,
      secret: generateSecret(),
      mode: 'subscribe',
    });
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    assert.equal(res.status, 202);
    await res.arrayBuffer();

    const attempt = await hub.waitForVerificationAttempt(foreign, callback);
    assert.equal(attempt.status, 404);
    assert.equal(attempt.verified, false);
    const intent = subscriber.lastIntent('unsolicited');
    assert.ok(!intent.verdict.ok);
    assert.match(intent.verdict.reason, /does not match the pending topic/);
    assert.deepEqual(await hub.publish(foreign, RSS), []);
    assert.deepEqual(await hub.publish(ours, RSS), [202]);
  });

  it('refuses an unsubscription it did not ask for; the subscription stays active', async () => {
    const { topic } = await subscribed('keep');
    const callback = subscriber.callbackUrl('keep');
    const since = hub.requests.length;
    const req = buildSubscribeRequest({
      hubUrl: hub.url,
      topicUrl: topic,
      callbackUrl: callback,
      secret: '',
      mode: 'unsubscribe',
    });
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    assert.equal(res.status, 202);
    await res.arrayBuffer();

    const attempt = await hub.waitForVerificationAttempt(topic, callback, { since });
    assert.equal(attempt.mode, 'unsubscribe');
    assert.equal(attempt.status, 404);
    assert.equal(hub.subscription(topic, callback)?.verified, true);
    assert.deepEqual(await hub.publish(topic, RSS), [202]);
  });

  it('unsubscribes when the subscriber asked to', async () => {
    const { topic } = await subscribed('leave');
    const callback = subscriber.callbackUrl('leave');
    const since = hub.requests.length;
    const { status } = await request('leave', topic, 'unsubscribe');
    assert.equal(status, 202);

    const attempt = await hub.waitForVerificationAttempt(topic, callback, { since });
    assert.equal(attempt.verified, true);
    assert.equal(attempt.leaseSeconds, null);
    assert.equal(new URL(attempt.url).searchParams.has('hub.lease_seconds'), false);
    assert.equal(hub.subscription(topic, callback), undefined);
    assert.deepEqual(await hub.publish(topic, RSS), []);
  });

  it('delivers a denial the subscriber recognises, with the hub’s reason', async () => {
    const { topic } = await subscribed('denied');
    const callback = subscriber.callbackUrl('denied');
    assert.equal(await hub.deny(topic, callback, 'topic is blocked'), 404);
    const intent = subscriber.lastIntent('denied');
    assert.ok(!intent.verdict.ok);
    assert.equal(intent.verdict.denied, true);
    assert.match(intent.verdict.reason, /topic is blocked/);
    assert.equal(hub.subscription(topic, callback), undefined);
    assert.deepEqual(await hub.publish(topic, RSS), []);
  });

  it('caps the lease at the hub’s maximum; the subscriber uses the granted lease', async () => {
    const topic = newTopic();
    await request('long-lease', topic, 'subscribe', { leaseSeconds: 864000 });
    const sub = await hub.waitForVerified(topic);
    assert.equal(sub.leaseSeconds, 86400);
    const intent = subscriber.lastIntent('long-lease');
    assert.ok(intent.verdict.ok);
    assert.equal(intent.verdict.leaseSeconds, 86400);
  });

  it('keeps the callback’s own query string when verifying', async () => {
    const topic = newTopic();
    const id = 'with-query';
    const secret = generateSecret();
    subscriber.callbacks.set(id, { topicUrl: topic, mode: 'subscribe', secret });
    const callback = `${subscriber.callbackUrl(id)}?token=abc%20def`;
    const req = buildSubscribeRequest({
      hubUrl: hub.url,
      topicUrl: topic,
      callbackUrl: callback,
      secret,
      mode: 'subscribe',
    });
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    await res.arrayBuffer();
    const attempt = await hub.waitForVerificationAttempt(topic, callback);
    assert.ok(attempt.url.startsWith(`${callback}&hub.mode=subscribe&`), attempt.url);
    assert.equal(attempt.verified, true);
    assert.equal(subscriber.lastIntent(id).query.token, 'abc def');
  });

  it('drops a subscription whose callback answers 410 Gone', async () => {
    const { topic } = await subscribed('gone');
    subscriber.callbacks.delete('gone');
    assert.deepEqual(await hub.publish(topic, RSS), [410]);
    assert.equal(hub.subscription(topic, subscriber.callbackUrl('gone')), undefined);
    assert.deepEqual(await hub.publish(topic, RSS), []);
  });

  it('rejects malformed subscription requests with a 4xx the subscriber reads as refused', async () => {
    const cases: [string, string, number][] = [
      ['application/x-www-form-urlencoded', 'hub.mode=subscribe&hub.topic=https://t.example/', 400],
      [
        'application/x-www-form-urlencoded',
        'hub.mode=publish&hub.topic=https://t.example/&hub.callback=http://c.example/',
        400,
      ],
      [
        'application/x-www-form-urlencoded',
        `hub.mode=subscribe&hub.topic=https://t.example/&hub.callback=http://c.example/&hub.secret=${'s'.repeat(200)}`,
        400,
      ],
      [
        'application/json',
        JSON.stringify({ 'hub.mode': 'subscribe', 'hub.topic': 'https://t.example/' }),
        415,
      ],
    ];
    for (const [contentType, body, expected] of cases) {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
      const text = await res.text();
      assert.equal(res.status, expected, text);
      const verdict = interpretHubResponse(res.status);
      assert.ok(!verdict.ok);
      assert.equal(verdict.retryable, false);
    }
  });
});
