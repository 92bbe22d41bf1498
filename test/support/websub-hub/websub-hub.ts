/**
 * WebSubTestHub — a real, in-process WebSub hub (W3C WebSub, 2018) for integration tests.
 *
 * A node:http server on 127.0.0.1 (random port) that a subscriber talks to as it would to a public
 * hub; it shares no code with the bridge's subscriber (src/feeds/websub), so the two check each
 * other:
 *
 *   const hub = await WebSubTestHub.start();
 *   await fetch(hub.url, { method: 'POST', headers, body });   // hub.mode=subscribe …
 *   await hub.waitForVerified(topic);
 *   await hub.publish(topic, rssXml);                          // → [200]
 *   await hub.stop();
 *
 * What it implements:
 * - Subscription requests (§5.1): a form-encoded POST to `url` with `hub.mode` (subscribe |
 *   unsubscribe), `hub.topic`, `hub.callback`, optional `hub.lease_seconds` and `hub.secret`
 *   (< 200 bytes). Errors get a 4xx with a plain-text reason (400; 415 for another content type;
 *   405 for another method); a valid request gets 202 and intent verification then runs
 *   asynchronously, independent of the response (§5.1.2).
 * - Intent verification (§5.3): a GET to the callback with `hub.mode`, `hub.topic`, a random
 *   single-use `hub.challenge` and, for subscribe, `hub.lease_seconds` (requested lease capped at
 *   `maxLeaseSeconds`, default `defaultLeaseSeconds`), appended to the callback's own query string.
 *   Verified only by a 2xx whose body equals the challenge exactly. A subscribe request for a new
 *   (topic, callback) pair shows up in `subscriptions` at once with `verified: false`; an existing
 *   subscription changes only when the new request is verified (§5.1); a verified unsubscribe
 *   removes it.
 * - Denial (§5.2): `deny()` sends `hub.mode=denied` (+ `hub.reason`) and drops the subscription.
 * - Content distribution (§7, §7.1): `publish()` POSTs the given body to every verified,
 *   unexpired subscriber of the topic, with the topic's Content-Type, one combined
 *   `Link: <hub>; rel="hub", <topic>; rel="self"` header and, when the subscriber gave a secret,
 *   `X-Hub-Signature: method=hex(HMAC(secret, body))`. A 410 answer ends the subscription.
 *   Fault switches: `signWith` (algorithm), `tamper` (body changed after signing),
 *   `omitSignature`.
 * - Every request in and out is appended to `requests`.
 *
 * What it does NOT do: discovery or serving topics, publisher notification ("publish" pings) or
 * fetching topic content (tests hand the content to `publish`), validation with the publisher,
 * delivery retries, diffing feeds, lease-expiry housekeeping beyond skipping expired subscribers,
 * redirects to other hubs, HTTPS, or any limit on callback addresses (it calls whatever URL it is
 * given — test use only).
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** HMAC methods for `X-Hub-Signature` (§7.1.1). */
export type HubSignatureAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** One (topic, callback) subscription as the hub holds it. */
export interface HubSubscription {
  readonly topic: string;
  readonly callback: string;
  /** `hub.secret` of the last verified (or, while pending, the first) request; null if none. */
  secret: string | null;
  /** Lease granted (subscribe) — what the verification GET announced. */
  leaseSeconds: number;
  /** True once the callback echoed a challenge for it. */
  verified: boolean;
  /** End of the lease (from the verification request); null while unverified. */
  expiresAt: Date | null;
}

/** A subscription request the hub received. */
export interface SubscriptionRequestLog {
  readonly kind: 'subscription-request';
  readonly at: Date;
  /** The form parameters, as received. */
  readonly params: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** What the hub answered (202, or 4xx with `error`). */
  readonly status: number;
  readonly error?: string;
}

/** An intent verification GET the hub made. */
export interface VerificationLog {
  readonly kind: 'verification';
  readonly at: Date;
  readonly mode: 'subscribe' | 'unsubscribe';
  readonly topic: string;
  readonly callback: string;
  /** The full URL requested (callback + appended `hub.*` parameters). */
  readonly url: string;
  readonly challenge: string;
  readonly leaseSeconds: number | null;
  /** The callback's status; null when the request failed (see `error`). */
  readonly status: number | null;
  /** The callback's body (first 4 KiB). */
  readonly body: string | null;
  /** Whether the subscriber confirmed: 2xx with the body equal to the challenge. */
  readonly verified: boolean;
  readonly error?: string;
}

/** A denial notice the hub sent. */
export interface DenialLog {
  readonly kind: 'denial';
  readonly at: Date;
  readonly topic: string;
  readonly callback: string;
  readonly reason: string | undefined;
  readonly status: number | null;
  readonly error?: string;
}

/** A content distribution POST the hub made. */
export interface DistributionLog {
  readonly kind: 'distribution';
  readonly at: Date;
  readonly topic: string;
  readonly callback: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Exactly the bytes sent. */
  readonly body: Buffer;
  /** The callback's status; 0 when the request failed (see `error`). */
  readonly status: number;
  readonly error?: string;
}

/** Everything the hub received or sent, in order. */
export type HubRequestLog = SubscriptionRequestLog | VerificationLog | DenialLog | DistributionLog;

/** Options of {@link WebSubTestHub.start}. */
export interface WebSubTestHubOptions {
  /** Lease granted when the subscriber asks for none (10 days, as §8.2 suggests). */
  readonly defaultLeaseSeconds?: number;
  /** Largest lease granted (10 days). */
  readonly maxLeaseSeconds?: number;
  /** Timeout of each request the hub makes to a callback (5 s). */
  readonly requestTimeoutMs?: number;
}

/** Options of {@link WebSubTestHub.publish}. */
export interface PublishOptions {
  /** Content-Type of the distribution (`application/rss+xml`). */
  readonly contentType?: string;
  /** Signature algorithm (`sha256`). */
  readonly signWith?: HubSignatureAlgorithm;
  /** Change the body after signing (the signature then no longer matches). */
  readonly tamper?: boolean;
  /** Send no `X-Hub-Signature` even to subscribers with a secret. */
  readonly omitSignature?: boolean;
}

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

const MAX_REQUEST_BODY = 64 * 1024;
const MAX_LOGGED_BODY = 4096;
const TAMPER_SUFFIX = '\n<!-- tampered in transit -->';
const TEN_DAYS = 10 * 24 * 60 * 60;

/** Appends `params` to `callback`'s query string, keeping what is there (§5.1.1). */
function appendQuery(callback: string, params: Record<string, string>): string {
  const hash = callback.indexOf('#');
  const base = hash === -1 ? callback : callback.slice(0, hash);
  const query = new URLSearchParams(params).toString();
  if (!base.includes('?')) return `${base}?${query}`;
  return base.endsWith('?') || base.endsWith('&') ? `${base}${query}` : `${base}&${query}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A real WebSub hub on 127.0.0.1 for tests; see the file header. */
export class WebSubTestHub {
  /** The hub URL subscribers POST to (`http://127.0.0.1:PORT/`). */
  readonly url: string;
  /** topic → its subscriptions, one per callback. */
  readonly subscriptions = new Map<string, HubSubscription[]>();
  /** Every request received and sent, in order. */
  readonly requests: HubRequestLog[] = [];

  private readonly server: Server;
  private readonly defaultLeaseSeconds: number;
  private readonly maxLeaseSeconds: number;
  private readonly requestTimeoutMs: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly aborter = new AbortController();
  private readonly listeners = new Set<() => void>();
  private stopped = false;

  private constructor(server: Server, options: WebSubTestHubOptions) {
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/`;
    this.maxLeaseSeconds = options.maxLeaseSeconds ?? TEN_DAYS;
    this.defaultLeaseSeconds = Math.min(
      options.defaultLeaseSeconds ?? TEN_DAYS,
      this.maxLeaseSeconds,
    );
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  }

  /** Starts a hub on 127.0.0.1 with a random port. */
  static async start(options: WebSubTestHubOptions = {}): Promise<WebSubTestHub> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const hub = new WebSubTestHub(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      hub.track(hub.handle(req, res));
    });
    return hub;
  }

  /** The subscription for (topic, callback), if the hub holds one (verified or not). */
  subscription(topic: string, callback: string): HubSubscription | undefined {
    return this.subscriptions.get(topic)?.find((s) => s.callback === callback);
  }

  /**
   * Distributes `body` to every verified, unexpired subscriber of `topic` (§7) and resolves with
   * their response statuses, in subscription order (0 where the request failed). Subscribers with
   * a secret get `X-Hub-Signature` (default sha256) unless `omitSignature`; `tamper` alters the
   * body after signing. A 410 answer removes that subscription.
   */
  async publish(topic: string, body: string, options: PublishOptions = {}): Promise<number[]> {
    const { contentType = 'application/rss+xml', signWith = 'sha256' } = options;
    const now = Date.now();
    const targets = (this.subscriptions.get(topic) ?? []).filter(
      (s) => s.verified && (s.expiresAt === null || s.expiresAt.getTime() > now),
    );
    const payload = Buffer.from(body, 'utf8');
    return Promise.all(
      targets.map(async (sub) => {
        const headers: Record<string, string> = {
          'Content-Type': contentType,
          Link: `<${this.url}>; rel="hub", <${topic}>; rel="self"`,
        };
        if (sub.secret !== null && options.omitSignature !== true) {
          const digest = createHmac(signWith, sub.secret).update(payload).digest('hex');
          headers['X-Hub-Signature'] = `${signWith}=${digest}`;
        }
        const sent =
          options.tamper === true
            ? Buffer.concat([payload, Buffer.from(TAMPER_SUFFIX, 'utf8')])
            : payload;
        let status = 0;
        let error: string | undefined;
        try {
          status = (await this.send('POST', sub.callback, headers, sent)).status;
        } catch (e) {
          error = errorMessage(e);
        }
        this.log({
          kind: 'distribution',
          at: new Date(),
          topic,
          callback: sub.callback,
          headers,
          body: sent,
          status,
          ...(error === undefined ? {} : { error }),
        });
        if (status === 410) this.remove(topic, sub.callback);
        return status;
      }),
    );
  }

  /**
   * Tells the subscriber at `callback` that its subscription to `topic` is denied (§5.2) and drops
   * the subscription. Resolves with the callback's status (null when the request failed).
   */
  async deny(topic: string, callback: string, reason?: string): Promise<number | null> {
    const params: Record<string, string> = { 'hub.mode': 'denied', 'hub.topic': topic };
    if (reason !== undefined) params['hub.reason'] = reason;
    this.remove(topic, callback);
    let status: number | null = null;
    let error: string | undefined;
    try {
      status = (await this.send('GET', appendQuery(callback, params), {})).status;
    } catch (e) {
      error = errorMessage(e);
    }
    this.log({
      kind: 'denial',
      at: new Date(),
      topic,
      callback,
      reason,
      status,
      ...(error === undefined ? {} : { error }),
    });
    return status;
  }

  /**
   * Resolves with the first verified subscription to `topic` (of `callback`, when given) once the
   * subscriber has confirmed it; rejects after `timeoutMs`.
   */
  waitForVerified(topic: string, timeoutMs = 5000, callback?: string): Promise<HubSubscription> {
    return this.waitFor(
      () =>
        this.subscriptions
          .get(topic)
          ?.find((s) => s.verified && (callback === undefined || s.callback === callback)),
      timeoutMs,
      `a verified subscription to ${topic}${callback === undefined ? '' : ` for ${callback}`}`,
    );
  }

  /**
   * Resolves with the first intent verification attempt (successful or not) for (`topic`,
   * `callback`) logged at index `since` or later in `requests` (default 0, so one made before the
   * call counts), optionally only of `mode`; rejects after `timeoutMs` (5 s). For asserting the
   * outcome of a verification without sleeping: take `since = hub.requests.length` before the
   * request.
   */
  waitForVerificationAttempt(
    topic: string,
    callback: string,
    options: { timeoutMs?: number; mode?: 'subscribe' | 'unsubscribe'; since?: number } = {},
  ): Promise<VerificationLog> {
    const { timeoutMs = 5000, mode, since = 0 } = options;
    return this.waitFor(
      () =>
        this.requests
          .slice(since)
          .find(
            (r): r is VerificationLog =>
              r.kind === 'verification' &&
              r.topic === topic &&
              r.callback === callback &&
              (mode === undefined || r.mode === mode),
          ),
      timeoutMs,
      `a ${mode ?? 'subscribe or unsubscribe'} verification for ${topic} at ${callback}`,
    );
  }

  /** Stops the server, aborts requests to callbacks and waits for pending verifications. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.aborter.abort();
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    this.server.closeAllConnections();
    await Promise.allSettled([...this.inFlight]);
    await closed;
  }

  // --- internals -------------------------------------------------------------------------------

  private track(task: Promise<unknown>): void {
    const settled = task.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private log(entry: HubRequestLog): void {
    this.requests.push(entry);
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const listener = (): void => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`WebSubTestHub: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  private remove(topic: string, callback: string): void {
    const list = this.subscriptions.get(topic);
    if (!list) return;
    const rest = list.filter((s) => s.callback !== callback);
    if (rest.length === 0) this.subscriptions.delete(topic);
    else this.subscriptions.set(topic, rest);
    this.changed();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, text: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
    };
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (path !== '/') {
      reply(404, 'not found');
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(405, 'POST a subscription request');
      return;
    }
    const contentType = req.headers['content-type'];
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY) {
        this.rejectRequest(reply, {}, contentType, 413, 'request body too large');
        return;
      }
      chunks.push(chunk);
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const params = Object.fromEntries(form);
    if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      this.rejectRequest(
        reply,
        params,
        contentType,
        415,
        'Content-Type must be application/x-www-form-urlencoded',
      );
      return;
    }

    const rawMode = form.get('hub.mode');
    const mode = rawMode === 'subscribe' || rawMode === 'unsubscribe' ? rawMode : null;
    const topic = form.get('hub.topic');
    const callback = form.get('hub.callback');
    const secret = form.get('hub.secret');
    const lease = form.get('hub.lease_seconds');
    let problem: string | undefined;
    if (mode === null) {
      problem = 'hub.mode must be subscribe or unsubscribe';
    } else if (topic === null || !isHttpUrl(topic)) {
      problem = 'hub.topic must be an http(s) URL';
    } else if (callback === null || !isHttpUrl(callback)) {
      problem = 'hub.callback must be an http(s) URL';
    } else if (secret !== null && Buffer.byteLength(secret, 'utf8') >= 200) {
      problem = 'hub.secret must be less than 200 bytes';
    } else if (mode === 'subscribe' && lease !== null && !/^[1-9]\d{0,9}$/.test(lease)) {
      problem = 'hub.lease_seconds must be a positive integer';
    }
    if (problem !== undefined || mode === null || topic === null || callback === null) {
      this.rejectRequest(reply, params, contentType, 400, problem ?? 'bad request');
      return;
    }

    this.log({ kind: 'subscription-request', at: new Date(), params, contentType, status: 202 });
    reply(202, 'accepted; verifying intent');

    const leaseSeconds =
      lease === null ? this.defaultLeaseSeconds : Math.min(Number(lease), this.maxLeaseSeconds);
    if (mode === 'subscribe' && !this.subscription(topic, callback)) {
      const list = this.subscriptions.get(topic) ?? [];
      list.push({
        topic,
        callback,
        secret: secret !== null && secret !== '' ? secret : null,
        leaseSeconds,
        verified: false,
        expiresAt: null,
      });
      this.subscriptions.set(topic, list);
      this.changed();
    }
    // Verification starts after the response is sent and does not affect it (§5.1.2).
    this.track(this.verify(mode, topic, callback, secret, leaseSeconds));
  }

  private rejectRequest(
    reply: (status: number, text: string) => void,
    params: Record<string, string>,
    contentType: string | undefined,
    status: number,
    error: string,
  ): void {
    this.log({ kind: 'subscription-request', at: new Date(), params, contentType, status, error });
    reply(status, error);
  }

  private async verify(
    mode: 'subscribe' | 'unsubscribe',
    topic: string,
    callback: string,
    secret: string | null,
    leaseSeconds: number,
  ): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.stopped) return;
    const challenge = randomBytes(24).toString('base64url');
    const params: Record<string, string> = {
      'hub.mode': mode,
      'hub.topic': topic,
      'hub.challenge': challenge,
    };
    if (mode === 'subscribe') params['hub.lease_seconds'] = String(leaseSeconds);
    const url = appendQuery(callback, params);
    const at = new Date();
    let result: HttpResult | undefined;
    let error: string | undefined;
    try {
      result = await this.send('GET', url, {});
    } catch (e) {
      error = errorMessage(e);
    }
    const verified =
      result !== undefined &&
      result.status >= 200 &&
      result.status <= 299 &&
      result.body === challenge;

    if (verified && mode === 'subscribe') {
      const fields = {
        secret: secret !== null && secret !== '' ? secret : null,
        leaseSeconds,
        verified: true,
        expiresAt: new Date(at.getTime() + leaseSeconds * 1000),
      };
      const existing = this.subscription(topic, callback);
      if (existing) Object.assign(existing, fields);
      else {
        const list = this.subscriptions.get(topic) ?? [];
        list.push({ topic, callback, ...fields });
        this.subscriptions.set(topic, list);
      }
    } else if (verified) {
      this.remove(topic, callback);
    }
    this.log({
      kind: 'verification',
      at,
      mode,
      topic,
      callback,
      url,
      challenge,
      leaseSeconds: mode === 'subscribe' ? leaseSeconds : null,
      status: result?.status ?? null,
      body: result?.body ?? null,
      verified,
      ...(error === undefined ? {} : { error }),
    });
  }

  /** One request to a callback; resolves with its status and (truncated) body. */
  private send(
    method: 'GET' | 'POST',
    url: string,
    headers: OutgoingHttpHeaders,
    body?: Buffer,
  ): Promise<HttpResult> {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpResult>((resolve, reject) => {
      const req = request(
        target,
        {
          method,
          headers: {
            ...headers,
            'User-Agent': 'WebSubTestHub',
            Connection: 'close',
            ...(body === undefined ? {} : { 'Content-Length': body.length }),
          },
          agent: false,
          timeout: this.requestTimeoutMs,
          signal: this.aborter.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_LOGGED_BODY) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).subarray(0, MAX_LOGGED_BODY).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => {
        req.destroy(new Error(`request to ${url} timed out after ${this.requestTimeoutMs} ms`));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
