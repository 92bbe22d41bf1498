/**
 * An independent ActivityPub server for end-to-end tests that behaves like a Mastodon instance
 * with one account. It shares no code with the bridge or Fedify: signatures are made and checked
 * here with node:crypto, so a passing test means the bridge interoperates with a separate
 * implementation, not with itself.
 *
 * @example
 * const peer = await RemotePeer.start();
 * const { self } = await peer.webfinger('news@bridge.example', bridgeOrigin);
 * const follow = await peer.follow(self);
 * await peer.waitForActivity('Accept', follow.id as string);
 * await peer.stop();
 */
import { EventEmitter } from 'node:events';
import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import {
  ACTIVITY_JSON,
  type NoteOptions,
  type PeerIdentity,
  acceptFollowActivity,
  followActivity,
  instanceActorDocument,
  noteDocuments,
  orderedCollection,
  personDocument,
  undoFollowActivity,
  webfingerDocument,
} from './activities.js';
import { verifyCavage } from './cavage.js';
import {
  type SentRequest,
  type SignedRequestOptions,
  type SigningIdentity,
  buildSignedRequest,
  sendRequest,
} from './client.js';
import {
  ACTIVITY_ACCEPT,
  type JsonObject,
  KeyResolver,
  describeError,
  idOf,
  isJsonObject,
} from './keys.js';
import { type HttpMessage, fieldValue, fieldsFromRawHeaders } from './message.js';
import { verifyRfc9421 } from './rfc9421.js';
import { type IncomingRequest, PeerListener, type Reply } from './server.js';
import { type Verdict, type VerifyPolicy, reject } from './verdict.js';

/** Options of {@link RemotePeer.start}. */
export interface RemotePeerOptions {
  /** The account's username; `alice` by default. */
  readonly username?: string;
  /** Verify RFC 9421 signatures (Mastodon 4.5+); when false they get 401 like older Mastodon. */
  readonly acceptRfc9421?: boolean;
  /** Answer a Follow of the account with an Accept, as an unlocked Mastodon account does. */
  readonly autoAccept?: boolean;
  /** Sign key and actor fetches (Mastodon signs every fetch). Default true. */
  readonly signFetches?: boolean;
  /** Accept a cavage `(request-target)` signed without its query, as Mastodon does. Default true. */
  readonly acceptPathOnlyRequestTarget?: boolean;
  /** Allowed distance of Date / created from now; 1 hour by default. */
  readonly clockSkewMs?: number;
}

/** Any request the peer received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query as requested. */
  readonly path: string;
  /** Lower-case header names, values combined. */
  readonly headers: Readonly<Record<string, string>>;
  /** Node's raw header list (name, value, …) as received. */
  readonly rawHeaders: readonly string[];
  readonly rawBody: Buffer;
  readonly receivedAt: Date;
}

/** A POST to one of the inboxes, with the peer's verdict. */
export interface InboxDelivery extends RecordedRequest {
  /** The body as UTF-8. */
  readonly body: string;
  /** The parsed body; `undefined` if it is not JSON. */
  readonly json: unknown;
  /** The body when it is a JSON object. */
  readonly activity: JsonObject | undefined;
  readonly verdict: Verdict;
  /** The status the peer answered (202, 400, 401, 413). */
  readonly status: number;
  /** Signature valid, JSON object, and `actor` is the key's owner. */
  readonly accepted: boolean;
}

/** A delivery that was accepted, so its activity is present. */
export type AcceptedDelivery = InboxDelivery & { readonly activity: JsonObject };

/** A request the peer sent, with the answer's status (0 when it failed to connect). */
export interface SentRecord {
  readonly request: SentRequest;
  readonly status: number;
}

/** A fetched ActivityPub document. */
export interface FetchedDocument {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or `undefined` if the body is not JSON. */
  readonly json: unknown;
}

/** The result of {@link RemotePeer.webfinger}. */
export interface WebfingerResult {
  readonly jrd: JsonObject;
  /** `href` of the `self` link with an ActivityPub media type. */
  readonly self: string;
}

/** A document served by {@link RemotePeer.serve}. */
interface ServedDocument {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** One of the account's own follows. */
interface Following {
  readonly follow: JsonObject;
  readonly inbox: string;
  readonly target: string;
  readonly n: number;
  accepted: boolean;
}

const DELIVERY = 'delivery';

/** A Mastodon-like ActivityPub server with one account, for end-to-end tests. */
export class RemotePeer {
  readonly username: string;
  /** Verify RFC 9421 signatures; when false, RFC 9421-only requests get 401. */
  acceptRfc9421: boolean;
  /** Answer Follows of the account with Accept. */
  autoAccept: boolean;
  /** The account is deleted: its actor (and so its key) answers 410 Gone. */
  gone = false;
  /** Delay, in ms, before answering any GET. */
  slowMs = 0;
  /** Every inbox POST, accepted or not, in arrival order. */
  readonly received: InboxDelivery[] = [];
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Every request the peer sent. */
  readonly sent: SentRecord[] = [];
  /** Failures of background work (automatic Accepts). */
  readonly errors: Error[] = [];
  /** Actors following the account. */
  readonly followers = new Set<string>();
  /** Key lookups the peer made as a verifier (its `fetches` lists the URLs). */
  readonly keys: KeyResolver;

  private privateKeyObject: KeyObject;
  private publicKeyPemValue: string;
  private keyIdValue = '';
  private readonly previous: SigningIdentity[] = [];
  private alsoKnownAs: string[] = [];
  private readonly documents = new Map<string, ServedDocument>();
  private readonly followingById = new Map<string, Following>();
  private readonly events = new EventEmitter();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly listener: PeerListener;
  private readonly policy: VerifyPolicy;
  private originValue = '';
  private counter = 0;
  /** Statuses the inbox answers next, in order, instead of processing (see {@link answerInbox}). */
  private readonly scripted: number[] = [];
  private keyCounter = 1;

  private constructor(options: RemotePeerOptions) {
    this.username = options.username ?? 'alice';
    this.acceptRfc9421 = options.acceptRfc9421 ?? true;
    this.autoAccept = options.autoAccept ?? true;
    this.policy = {
      now: () => new Date(),
      clockSkewMs: options.clockSkewMs ?? 60 * 60 * 1000,
      acceptPathOnlyRequestTarget: options.acceptPathOnlyRequestTarget ?? true,
    };
    const pair = newKeyPair();
    this.privateKeyObject = pair.privateKey;
    this.publicKeyPemValue = pair.publicKeyPem;
    const signFetches = options.signFetches ?? true;
    this.keys = new KeyResolver(
      signFetches ? { fetchHeaders: (url) => this.fetchHeaders(url) } : {},
    );
    this.listener = new PeerListener((request, oversized) => this.route(request, oversized));
    this.events.setMaxListeners(0);
  }

  /** Starts a peer on 127.0.0.1 with a fresh RSA-2048 key pair. */
  static async start(options: RemotePeerOptions = {}): Promise<RemotePeer> {
    const peer = new RemotePeer(options);
    const port = await peer.listener.listen();
    peer.originValue = `http://127.0.0.1:${port}`;
    peer.keyIdValue = `${peer.actorUrl}#main-key`;
    return peer;
  }

  /** `http://127.0.0.1:PORT`. */
  get origin(): string {
    return this.originValue;
  }

  /** `127.0.0.1:PORT`, the WebFinger domain. */
  get domain(): string {
    return new URL(this.originValue).host;
  }

  /** `alice@127.0.0.1:PORT`. */
  get handle(): string {
    return `${this.username}@${this.domain}`;
  }

  /** The account's actor id. */
  get actorUrl(): string {
    return `${this.originValue}/users/${this.username}`;
  }

  /** The account's personal inbox. */
  get inboxUrl(): string {
    return `${this.actorUrl}/inbox`;
  }

  /** The shared inbox. */
  get sharedInboxUrl(): string {
    return `${this.originValue}/inbox`;
  }

  /** The current keyId (`…/users/alice#main-key` until rotated to a new id). */
  get keyId(): string {
    return this.keyIdValue;
  }

  /** The current private key (tests sign with it, e.g. through Fedify). */
  get privateKey(): KeyObject {
    return this.privateKeyObject;
  }

  /** The current public key, PEM (SPKI). */
  get publicKeyPem(): string {
    return this.publicKeyPemValue;
  }

  /** The current signing identity. */
  get identity(): SigningIdentity {
    return { keyId: this.keyIdValue, privateKey: this.privateKeyObject };
  }

  /** Identities replaced by {@link rotateKey}, oldest first. */
  get previousIdentities(): readonly SigningIdentity[] {
    return this.previous;
  }

  /** The account's own follows, with whether each was accepted. */
  get following(): readonly { follow: JsonObject; target: string; accepted: boolean }[] {
    return [...this.followingById.values()].map(({ follow, target, accepted }) => ({
      follow,
      target,
      accepted,
    }));
  }

  /** Sets the actor's `alsoKnownAs` (account migration). */
  setAlsoKnownAs(urls: readonly string[]): void {
    this.alsoKnownAs = [...urls];
  }

  /**
   * Replaces the key pair. By default the keyId stays `#main-key` (what Mastodon does); with
   * `newKeyId` the key gets a new id (`#key-2`, …). Returns the replaced identity.
   */
  rotateKey(options: { newKeyId?: boolean } = {}): SigningIdentity {
    const old = this.identity;
    this.previous.push(old);
    const pair = newKeyPair();
    this.privateKeyObject = pair.privateKey;
    this.publicKeyPemValue = pair.publicKeyPem;
    if (options.newKeyId) this.keyIdValue = `${this.actorUrl}#key-${++this.keyCounter}`;
    return old;
  }

  /**
   * Makes the next inbox POSTs (to either inbox) answer these statuses, in order, without
   * processing them: `answerInbox(500, 500)` fails two deliveries, `answerInbox(410)` says the
   * inbox is gone. The requests are still verified and recorded, with `status` as answered.
   */
  answerInbox(...statuses: number[]): void {
    this.scripted.push(...statuses);
  }

  /** Stops listening: connections are refused until {@link up}. */
  async down(): Promise<void> {
    await this.listener.close();
  }

  /** Listens again, on the same port. */
  async up(): Promise<void> {
    await this.listener.listen();
  }

  /** Stops the server and waits for background deliveries to settle. */
  async stop(): Promise<void> {
    await this.listener.close();
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Serves a document at `path` (matched without the query), ahead of the built-in routes: an
   * object is sent as JSON, a string as is. Status and content type can be anything, for hostile
   * tests (e.g. the actor as `text/html`). Returns the document's URL.
   */
  serve(
    path: string,
    document: unknown,
    options: { status?: number; contentType?: string } = {},
  ): string {
    this.documents.set(new URL(path, this.originValue).pathname, {
      status: options.status ?? 200,
      contentType: options.contentType ?? ACTIVITY_JSON,
      body: typeof document === 'string' ? document : JSON.stringify(document),
    });
    return new URL(path, this.originValue).href;
  }

  /** Stops serving a document. */
  unserve(path: string): void {
    this.documents.delete(new URL(path, this.originValue).pathname);
  }

  /**
   * Creates a Mastodon status: serves the Note at its id and returns it with its Create, ready
   * for {@link signedPost} to an inbox.
   */
  createNote(options: NoteOptions): { note: JsonObject; create: JsonObject } {
    const made = noteDocuments(this.identityDocument(), ++this.counter, options);
    this.serve(String(made.note.id), made.note);
    return made;
  }

  // ---- client side ----

  /**
   * Looks up `user@domain` (or `@user@domain`, `acct:…`) at `bridgeOrigin` and returns the JRD
   * and its ActivityPub `self` link. Throws unless the answer is a 200 JRD with such a link.
   */
  async webfinger(handle: string, bridgeOrigin: string): Promise<WebfingerResult> {
    const account = handle.replace(/^acct:/, '').replace(/^@/, '');
    const url = `${bridgeOrigin}/.well-known/webfinger?resource=acct:${account}`;
    const response = await fetch(url, {
      headers: { accept: 'application/jrd+json, application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`WebFinger ${url} answered ${response.status}`);
    const jrd: unknown = JSON.parse(text);
    if (!isJsonObject(jrd)) throw new Error(`WebFinger ${url} is not a JSON object`);
    const links = Array.isArray(jrd.links) ? (jrd.links as unknown[]) : [];
    const self = links
      .filter(isJsonObject)
      .find(
        (link) =>
          link.rel === 'self' &&
          typeof link.type === 'string' &&
          /^application\/(activity\+json|ld\+json)/.test(link.type),
      );
    if (typeof self?.href !== 'string') throw new Error(`WebFinger ${url} has no self link`);
    return { jrd, self: self.href };
  }

  /**
   * GETs an ActivityPub document with Mastodon's Accept header, signed by the account unless
   * `signed` is false.
   */
  async fetchActor(url: string, options: { signed?: boolean } = {}): Promise<FetchedDocument> {
    const headers =
      options.signed === false ? { accept: ACTIVITY_ACCEPT } : this.fetchHeaders(new URL(url));
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json };
  }

  /**
   * POSTs an activity signed like Mastodon: draft-cavage, `rsa-sha256`, covering
   * `(request-target) host date digest content-type`. `activity` may be a string to send raw.
   * `options` can break the request in many ways (see {@link SignedRequestOptions}).
   */
  async signedPost(
    url: string,
    activity: unknown,
    options: SignedRequestOptions = {},
  ): Promise<Response> {
    const body = typeof activity === 'string' ? activity : JSON.stringify(activity);
    return this.send(
      buildSignedRequest(this.identity, 'POST', url, body, options, this.userAgent),
      options,
    );
  }

  /** GETs with a Mastodon signature over `(request-target) host date accept`. */
  async signedGet(url: string, options: SignedRequestOptions = {}): Promise<Response> {
    return this.send(
      buildSignedRequest(this.identity, 'GET', url, undefined, options, this.userAgent),
      options,
    );
  }

  /**
   * Follows an actor as Mastodon does: fetches it, sends `Follow` (id `ORIGIN/<uuid>`) to its
   * inbox, and returns the Follow. Throws unless the inbox answers 2xx.
   */
  async follow(actorUrl: string): Promise<JsonObject> {
    const { target, inbox } = await this.inboxOf(actorUrl);
    const follow = followActivity(this.originValue, this.actorUrl, target);
    const response = await this.signedPost(inbox, follow);
    if (!response.ok) {
      throw new Error(`Follow to ${inbox} answered ${response.status}: ${await response.text()}`);
    }
    this.followingById.set(String(follow.id), {
      follow,
      inbox,
      target,
      n: ++this.counter,
      accepted: false,
    });
    return follow;
  }

  /** Undoes a follow made by {@link follow}; returns the Undo. Throws unless 2xx. */
  async unfollow(follow: JsonObject): Promise<JsonObject> {
    const entry = this.followingById.get(String(follow.id));
    if (!entry) throw new Error(`not following with ${String(follow.id)}`);
    const undo = undoFollowActivity(this.actorUrl, entry.follow, entry.n);
    const response = await this.signedPost(entry.inbox, undo);
    if (!response.ok) {
      throw new Error(
        `Undo to ${entry.inbox} answered ${response.status}: ${await response.text()}`,
      );
    }
    this.followingById.delete(String(follow.id));
    return undo;
  }

  /** Resolves with the first inbox delivery (already received or future) matching `predicate`. */
  waitFor(
    predicate: (delivery: InboxDelivery) => boolean,
    timeoutMs = 10_000,
  ): Promise<InboxDelivery> {
    const existing = this.received.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const onDelivery = (delivery: InboxDelivery) => {
        if (!predicate(delivery)) return;
        cleanup();
        resolve(delivery);
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.received.map(
          (d) => `${String(d.activity?.type)} ${String(d.activity?.id)} → ${d.status}`,
        );
        reject(
          new Error(
            `no matching inbox delivery within ${timeoutMs} ms; received: ${seen.join('; ') || 'none'}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off(DELIVERY, onDelivery);
      };
      this.events.on(DELIVERY, onDelivery);
    });
  }

  /**
   * Waits for an accepted activity of `type`. `match` is either the id its `object` must have
   * (as a string or embedded object, e.g. the Follow an Accept answers) or a predicate.
   */
  async waitForActivity(
    type: string,
    match?: string | ((activity: JsonObject) => boolean),
    options: { timeoutMs?: number; includeRejected?: boolean } = {},
  ): Promise<AcceptedDelivery> {
    const matches =
      typeof match === 'string'
        ? (activity: JsonObject) => idOf(activity.object) === match
        : (match ?? (() => true));
    const delivery = await this.waitFor(
      (d) =>
        (d.accepted || options.includeRejected === true) &&
        d.activity !== undefined &&
        d.activity.type === type &&
        matches(d.activity),
      options.timeoutMs,
    );
    return delivery as AcceptedDelivery;
  }

  /**
   * Verifies a request with the peer's rules: a message, or a request this peer recorded (e.g. a
   * signed GET, which the peer serves without checking).
   */
  async verify(request: HttpMessage | RecordedRequest): Promise<Verdict> {
    const message: HttpMessage =
      'targetUri' in request
        ? request
        : {
            method: request.method,
            targetUri: new URL(request.path, `http://${request.headers.host ?? this.domain}`),
            requestTarget: request.path,
            fields: fieldsFromRawHeaders(request.rawHeaders),
            body: request.rawBody,
          };
    if (fieldValue(message, 'signature-input') !== undefined) {
      if (!this.acceptRfc9421) return reject('rfc9421', 'RFC 9421 signatures are not accepted');
      return verifyRfc9421(message, this.keys, this.policy);
    }
    return verifyCavage(message, this.keys, this.policy);
  }

  // ---- server side ----

  private get userAgent(): string {
    return `http.rb/5.2.0 (Mastodon/4.4.0; +${this.originValue}/)`;
  }

  private identityDocument(): PeerIdentity {
    return {
      origin: this.originValue,
      domain: this.domain,
      username: this.username,
      actorUrl: this.actorUrl,
      keyId: this.keyIdValue,
      publicKeyPem: this.publicKeyPemValue,
      alsoKnownAs: this.alsoKnownAs,
    };
  }

  private fetchHeaders(url: URL): Record<string, string> {
    const { headers } = buildSignedRequest(
      this.identity,
      'GET',
      url,
      undefined,
      {},
      this.userAgent,
    );
    return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host'));
  }

  private async send(request: SentRequest, options: SignedRequestOptions): Promise<Response> {
    try {
      const response = await sendRequest(request, options.timeoutMs);
      this.sent.push({ request, status: response.status });
      return response;
    } catch (error) {
      this.sent.push({ request, status: 0 });
      throw error;
    }
  }

  private async inboxOf(actorUrl: string): Promise<{ target: string; inbox: string }> {
    const fetched = await this.fetchActor(actorUrl);
    const actor = fetched.json;
    if (fetched.status !== 200 || !isJsonObject(actor) || typeof actor.inbox !== 'string') {
      throw new Error(`actor ${actorUrl} answered ${fetched.status} without an inbox`);
    }
    return { target: idOf(actor.id) ?? actorUrl, inbox: actor.inbox };
  }

  private async route(request: IncomingRequest, oversized: boolean): Promise<Reply> {
    this.requests.push({
      method: request.method,
      path: request.requestTarget,
      headers: request.headers,
      rawHeaders: request.rawHeaders,
      rawBody: request.body,
      receivedAt: request.receivedAt,
    });
    const path = request.targetUri.pathname;
    const actorPath = `/users/${this.username}`;
    if (request.method === 'POST') {
      if (path === `${actorPath}/inbox` || path === '/inbox') return this.inbox(request, oversized);
      return { status: 405 };
    }
    if (request.method !== 'GET') return { status: 405 };
    if (this.slowMs > 0) await delay(this.slowMs);

    // Served documents come first, so a test can replace even the actor with a hostile one.
    const served = this.documents.get(path);
    if (served) {
      return {
        status: served.status,
        headers: { 'content-type': served.contentType },
        body: served.body,
      };
    }
    const me = this.identityDocument();
    switch (path) {
      case '/.well-known/webfinger':
        return this.webfingerReply(request.targetUri.searchParams.get('resource'));
      case '/.well-known/nodeinfo':
        return json({
          links: [
            {
              rel: 'http://nodeinfo.diaspora.software/ns/schema/2.0',
              href: `${this.originValue}/nodeinfo/2.0`,
            },
          ],
        });
      case '/nodeinfo/2.0':
        return json({
          version: '2.0',
          software: { name: 'mastodon', version: '4.4.0' },
          protocols: ['activitypub'],
          services: { outbound: [], inbound: [] },
          usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts: 0 },
          openRegistrations: false,
          metadata: {},
        });
      case actorPath:
        return this.gone ? { status: 410 } : activityJson(personDocument(me));
      case `${actorPath}/followers`:
        return activityJson(orderedCollection(`${this.actorUrl}/followers`, [...this.followers]));
      case `${actorPath}/following`:
        return activityJson(
          orderedCollection(
            `${this.actorUrl}/following`,
            this.following.filter((f) => f.accepted).map((f) => f.target),
          ),
        );
      case `${actorPath}/outbox`:
        return activityJson(orderedCollection(`${this.actorUrl}/outbox`, []));
      case '/actor':
        return activityJson(instanceActorDocument(me));
    }
    return { status: 404 };
  }

  private webfingerReply(resource: string | null): Reply {
    if (resource === null) return { status: 400 };
    const normalized = resource.toLowerCase();
    const domain = this.domain.toLowerCase();
    const account = [
      `acct:${this.username}@${domain}`.toLowerCase(),
      this.actorUrl.toLowerCase(),
      `${this.originValue}/@${this.username}`.toLowerCase(),
    ];
    let instance: boolean;
    if (account.includes(normalized)) instance = false;
    else if (
      normalized === `acct:${domain}@${domain}` ||
      normalized === `${this.originValue}/actor`
    )
      instance = true;
    else return { status: 404 };
    if (!instance && this.gone) return { status: 410 };
    return {
      status: 200,
      headers: { 'content-type': 'application/jrd+json; charset=utf-8' },
      body: JSON.stringify(webfingerDocument(this.identityDocument(), instance)),
    };
  }

  private async inbox(request: IncomingRequest, oversized: boolean): Promise<Reply> {
    let verdict: Verdict;
    let status: number;
    let parsed: unknown;
    if (oversized) {
      verdict = reject('none', 'body larger than 1 MiB');
      status = 413;
    } else {
      verdict = await this.verify(request);
      try {
        parsed = JSON.parse(request.body.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      if (!verdict.ok) {
        status = 401;
      } else if (!isJsonObject(parsed)) {
        status = 400;
      } else if (idOf(parsed.actor) !== verdict.owner) {
        verdict = {
          ...verdict,
          ok: false,
          reason: `activity actor ${String(idOf(parsed.actor))} is not the key owner ${String(verdict.owner)}`,
        };
        status = 401;
      } else {
        status = 202;
      }
    }
    const forced = this.scripted.shift();
    if (forced !== undefined) status = forced;
    const activity = isJsonObject(parsed) ? parsed : undefined;
    const delivery: InboxDelivery = {
      method: request.method,
      path: request.requestTarget,
      headers: request.headers,
      rawHeaders: request.rawHeaders,
      receivedAt: request.receivedAt,
      rawBody: request.body,
      body: request.body.toString('utf8'),
      json: parsed,
      activity,
      verdict,
      status,
      accepted: status === 202,
    };
    this.received.push(delivery);
    if (delivery.accepted && activity) this.background(this.process(activity));
    this.events.emit(DELIVERY, delivery);
    if (status === 202) return { status };
    const error = verdict.ok ? 'Invalid JSON' : (verdict.reason ?? 'Verification failed');
    return json({ error }, status);
  }

  /** Side effects of an accepted activity, like Mastodon's processing worker. */
  private async process(activity: JsonObject): Promise<void> {
    const actor = idOf(activity.actor);
    if (actor === undefined) return;
    const object = activity.object;
    switch (activity.type) {
      case 'Follow':
        if (idOf(object) !== this.actorUrl) return;
        this.followers.add(actor);
        if (this.autoAccept) {
          const accept = acceptFollowActivity(this.actorUrl, activity, ++this.counter);
          const { inbox } = await this.inboxOf(actor);
          const response = await this.signedPost(inbox, accept);
          if (!response.ok) throw new Error(`Accept to ${inbox} answered ${response.status}`);
        }
        return;
      case 'Undo':
        if (
          isJsonObject(object) &&
          object.type === 'Follow' &&
          idOf(object.object) === this.actorUrl
        ) {
          this.followers.delete(actor);
        }
        return;
      case 'Accept':
      case 'Reject': {
        const entry = this.matchFollow(object, actor);
        if (!entry) return;
        if (activity.type === 'Accept') entry.accepted = true;
        else this.followingById.delete(String(entry.follow.id));
        return;
      }
    }
  }

  private matchFollow(object: unknown, actor: string): Following | undefined {
    const byId = this.followingById.get(idOf(object) ?? '');
    if (byId) return byId.target === actor ? byId : undefined;
    if (!isJsonObject(object)) return undefined;
    return [...this.followingById.values()].find(
      (f) =>
        idOf(object.object) === f.target &&
        f.target === actor &&
        idOf(object.actor) === this.actorUrl,
    );
  }

  private background(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.errors.push(error instanceof Error ? error : new Error(describeError(error)));
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}

function newKeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function json(body: unknown, status = 200): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

function activityJson(body: JsonObject): Reply {
  return {
    status: 200,
    headers: { 'content-type': 'application/activity+json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}
