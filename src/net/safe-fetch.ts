import type { ReadableStream } from 'node:stream/web';
import { type Agent, fetch as undiciFetch, type Response as UndiciResponse } from 'undici';
import { SafeFetchError } from './error.js';
import { type AddressPolicy, createGuardedAgent, type Resolver } from './guarded-agent.js';

/** Options of {@link SafeFetch}. */
export interface SafeFetchOptions {
  /**
   * Development and test mode: allow `http:` as well as `https:`, and loopback and private
   * addresses. Keep `false` in production.
   */
  allowPrivateAddresses: boolean;
  /** `User-Agent` sent with every request that does not set its own. */
  userAgent: string;
  /** Largest body read, after content decoding. Default: 1 MiB. */
  maxBytes?: number;
  /** Redirects followed per request. Default: 3. */
  maxRedirects?: number;
  /** Bound on resolving the host plus the TCP (and TLS) handshake. Default: 5000 ms. */
  connectTimeoutMs?: number;
  /** Bound on the whole request: every hop, headers and body. Default: 30000 ms. */
  totalTimeoutMs?: number;
  /** Host name resolution (tests). Default: `dns.lookup` with every address. */
  resolve?: Resolver;
  /** Replaces the address rule (tests, allowlists); see {@link GuardedAgentOptions}. */
  addressPolicy?: AddressPolicy;
}

/** The request part of {@link SafeFetch.fetch}. */
export interface SafeFetchInit {
  /** Default: `GET`. */
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string | Uint8Array | null;
  /** Aborts the request; the rejection is then `signal.reason`, not a {@link SafeFetchError}. */
  signal?: AbortSignal;
  /**
   * Called with each hop's request just before it is sent, the first and every redirect, and
   * returns the request to send instead: the place to sign it.
   */
  prepare?: (request: Request) => Request | Promise<Request>;
  /**
   * Called for each redirect followed, with its status, so a caller can tell a permanent move
   * (301, 308: update the stored URL) from a temporary one.
   */
  onRedirect?: (hop: { status: number; from: URL; to: URL }) => void;
}

/** What {@link SafeFetch.post} returns. */
export interface PostAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  /** The start of the body (up to the byte cap), decoded as UTF-8. */
  readonly text: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
  'digest',
];

/**
 * The one outbound HTTP client for remote, untrusted URLs (INTEROP §Security 23–27):
 *
 * - `https:` only (`http:` too when `allowPrivateAddresses`);
 * - connects only to public addresses, checked at dial time (see {@link createGuardedAgent});
 * - follows at most `maxRedirects` redirects itself, re-checking scheme and address of each hop
 *   and refusing loops; credentials are dropped on a cross-origin hop;
 * - one deadline covers every hop, the headers and the body (slowloris);
 * - reads at most `maxBytes` of body: a larger `Content-Length` is refused before reading, a
 *   stream is cut as soon as it passes the cap.
 *
 * Failures are {@link SafeFetchError}s with a `reason`. Non-2xx responses are returned, not
 * thrown.
 */
export class SafeFetch {
  /** The guarded agent; install it with undici's `setGlobalDispatcher` to cover Fedify's sends. */
  readonly dispatcher: Agent;

  readonly #allowHttp: boolean;
  readonly #userAgent: string;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #totalTimeoutMs: number;

  /** @param options see {@link SafeFetchOptions} */
  constructor(options: SafeFetchOptions) {
    this.#allowHttp = options.allowPrivateAddresses;
    this.#userAgent = options.userAgent;
    this.#maxBytes = options.maxBytes ?? 1024 * 1024;
    this.#maxRedirects = options.maxRedirects ?? 3;
    this.#totalTimeoutMs = options.totalTimeoutMs ?? 30_000;
    this.dispatcher = createGuardedAgent({
      allowPrivateAddresses: options.allowPrivateAddresses,
      addressPolicy: options.addressPolicy,
      resolve: options.resolve,
      connectTimeoutMs: options.connectTimeoutMs,
    });
  }

  /**
   * Sends the request, following redirects, and returns the response with its body read into
   * memory. The response's `url` is the final URL after redirects (without fragment) and
   * `redirected` says whether there were any; both are own properties, which `clone()` drops.
   * The body is already decoded: `Content-Encoding` and `Content-Length` are removed when the
   * server compressed it.
   *
   * @throws {SafeFetchError} when a rule refuses the request or the transport fails
   * @throws {TypeError} when `input` is not a URL or `init` is not a valid request
   */
  async fetch(input: URL | string, init: SafeFetchInit = {}): Promise<Response> {
    init.signal?.throwIfAborted();
    let url = new URL(input);
    url.hash = '';
    let method = (init.method ?? 'GET').toUpperCase();
    let body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : init.body;
    const headers = new Headers(init.headers);
    if (!headers.has('user-agent')) headers.set('user-agent', this.#userAgent);

    const deadline = new Deadline(this.#totalTimeoutMs, init.signal);
    try {
      const visited = new Set([url.href]);
      for (let redirects = 0; ; redirects++) {
        this.#checkScheme(url);
        let request = new Request(url, { method, headers, body: body ?? null });
        if (init.prepare !== undefined) request = await init.prepare(request);
        const response = await this.#send(request, deadline, url);

        const location = REDIRECT_STATUSES.has(response.status)
          ? response.headers.get('location')
          : null;
        if (location === null) {
          return await this.#buffer(response, url, redirects > 0, deadline);
        }
        await response.body?.cancel().catch(() => undefined);

        let next: URL;
        try {
          next = new URL(location, url);
        } catch (error) {
          throw new SafeFetchError('network', url.href, 'unusable Location header', {
            cause: error,
          });
        }
        next.hash = '';
        this.#checkScheme(next);
        if (visited.has(next.href)) {
          throw new SafeFetchError('redirect-loop', next.href, 'redirect loop');
        }
        if (redirects >= this.#maxRedirects) {
          throw new SafeFetchError(
            'too-many-redirects',
            next.href,
            `more than ${this.#maxRedirects} redirects`,
          );
        }
        visited.add(next.href);
        init.onRedirect?.({ status: response.status, from: url, to: next });
        if (
          ((response.status === 301 || response.status === 302) && method === 'POST') ||
          (response.status === 303 && method !== 'GET' && method !== 'HEAD')
        ) {
          method = 'GET';
          body = null;
          for (const name of BODY_HEADERS) headers.delete(name);
        }
        if (next.origin !== url.origin) {
          for (const name of CREDENTIAL_HEADERS) headers.delete(name);
        }
        url = next;
      }
    } finally {
      deadline.clear();
    }
  }

  /**
   * One POST, the lean way, for deliveries: no redirect is followed (a 3xx is returned as such),
   * no `Response` is built, a 2xx's body is not waited for, and of another answer at most
   * `maxBytes` are read — more is not an error, it is cut: only the status and the start of an
   * error text matter. Same address checks
   * (the guarded agent), scheme rule and total deadline as {@link fetch}.
   *
   * @throws {SafeFetchError} when a rule refuses the request or no answer comes
   */
  async post(
    input: URL | string,
    init: { headers: Iterable<[string, string]>; body: Uint8Array },
  ): Promise<PostAnswer> {
    const url = new URL(input);
    url.hash = '';
    this.#checkScheme(url);
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    for (const [name, value] of init.headers) headers[name.toLowerCase()] = value;
    const deadline = new Deadline(this.#totalTimeoutMs, undefined);
    try {
      const answer = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body: init.body,
        signal: deadline.signal,
      });
      const retryAfter = answer.headers['retry-after'];
      if (answer.statusCode >= 200 && answer.statusCode < 300) {
        // The status is the answer: the body is drained (bounded) in the background, so a large
        // or dribbling one cannot turn a success into a timeout.
        void answer.body.dump({ limit: this.#maxBytes }).catch(() => undefined);
        return { status: answer.statusCode, retryAfter: null, text: '' };
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of answer.body as AsyncIterable<Uint8Array>) {
        chunks.push(chunk.subarray(0, this.#maxBytes - size));
        size += Math.min(chunk.byteLength, this.#maxBytes - size);
        if (size >= this.#maxBytes) {
          answer.body.destroy();
          break;
        }
      }
      return {
        status: answer.statusCode,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
        text: new TextDecoder().decode(concat(chunks)),
      };
    } catch (error) {
      throw deadline.failure(error, url);
    } finally {
      deadline.clear();
    }
  }

  /** Closes the agent's connections, waiting for requests in flight. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  #checkScheme(url: URL): void {
    if (url.username !== '' || url.password !== '') {
      throw new SafeFetchError('scheme', url.href, 'URLs with credentials are not fetched');
    }
    if (url.protocol === 'https:' || (url.protocol === 'http:' && this.#allowHttp)) return;
    throw new SafeFetchError('scheme', url.href, `scheme ${url.protocol} is not allowed`);
  }

  async #send(request: Request, deadline: Deadline, url: URL): Promise<UndiciResponse> {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const body = hasBody ? new Uint8Array(await request.arrayBuffer()) : undefined;
    try {
      return await undiciFetch(request.url, {
        method: request.method,
        headers: [...request.headers],
        body,
        redirect: 'manual',
        signal: deadline.signal,
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      throw deadline.failure(error, url);
    }
  }

  async #buffer(
    response: UndiciResponse,
    url: URL,
    redirected: boolean,
    deadline: Deadline,
  ): Promise<Response> {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > this.#maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw this.#tooLarge(url, `declared length ${declared}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body !== null) {
      const body = response.body as ReadableStream<Uint8Array>;
      const reader = body.getReader();
      for (;;) {
        const chunk = await reader.read().catch((error: unknown) => {
          throw deadline.failure(error, url);
        });
        if (chunk.done) break;
        size += chunk.value.byteLength;
        if (size > this.#maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw this.#tooLarge(url, `more than ${size - chunk.value.byteLength} bytes`);
        }
        chunks.push(chunk.value);
      }
    }

    const headers = new Headers([...response.headers]);
    if (headers.has('content-encoding')) {
      headers.delete('content-encoding');
      headers.delete('content-length');
    }
    const result = new Response(NULL_BODY_STATUSES.has(response.status) ? null : concat(chunks), {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
    Object.defineProperties(result, {
      url: { value: url.href, enumerable: true },
      redirected: { value: redirected, enumerable: true },
    });
    return result;
  }

  #tooLarge(url: URL, detail: string): SafeFetchError {
    return new SafeFetchError(
      'too-large',
      url.href,
      `response body over ${this.#maxBytes} bytes (${detail})`,
    );
  }
}

/** The total deadline of one request, merged with the caller's abort signal. */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onAbort = (): void => {
    this.#controller.abort(this.#callerSignal?.reason);
  };
  #expired = false;

  constructor(
    readonly ms: number,
    callerSignal: AbortSignal | undefined,
  ) {
    this.#callerSignal = callerSignal;
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#controller.abort(new Error(`total deadline of ${ms} ms passed`));
    }, ms);
    callerSignal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Turns what a send or a body read threw into the error to report. */
  failure(error: unknown, url: URL): unknown {
    if (this.#expired) {
      return new SafeFetchError('timeout', url.href, `no complete response within ${this.ms} ms`, {
        cause: error,
      });
    }
    if (this.#callerSignal?.aborted === true) return this.#callerSignal.reason;
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      if (cause instanceof SafeFetchError) {
        return new SafeFetchError(cause.reason, url.href, cause.message, { cause });
      }
      const code = (cause as { code?: unknown }).code;
      if (
        code === 'UND_ERR_CONNECT_TIMEOUT' ||
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT'
      ) {
        return new SafeFetchError('timeout', url.href, cause.message, { cause: error });
      }
    }
    const detail = error instanceof Error ? describe(error) : String(error);
    return new SafeFetchError('network', url.href, detail, { cause: error });
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onAbort);
  }
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:1` rather than just `fetch failed`. */
function describe(error: Error): string {
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
