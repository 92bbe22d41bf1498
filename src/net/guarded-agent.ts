import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { addressRefusal } from './address-policy.js';
import { SafeFetchError } from './error.js';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has (like `dns.lookup(host, { all: true })`). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Decides whether one IP address may be dialled: `null` to allow, else the reason to refuse. */
export type AddressPolicy = (address: string) => string | null;

/** Options of {@link createGuardedAgent}. */
export interface GuardedAgentOptions {
  /**
   * Dial loopback, private and other non-public addresses too (development and tests). With
   * `false`, a host that is, or resolves to, any non-public address is refused.
   */
  allowPrivateAddresses: boolean;
  /**
   * Replaces the address rule. Default: {@link addressRefusal} (public addresses only), or
   * allow everything when `allowPrivateAddresses` is set. For tests and explicit allowlists.
   */
  addressPolicy?: AddressPolicy;
  /** Host name resolution. Default: {@link systemResolver} (`dns.lookup`, all addresses). */
  resolve?: Resolver;
  /** Bound on resolving the host plus the TCP (and TLS) handshake. Default: 5000 ms. */
  connectTimeoutMs?: number;
  /** Bound on waiting for response headers once the request is sent. Default: 30000 ms. */
  headersTimeoutMs?: number;
  /** Bound on silence between two body chunks (not on the whole body). Default: 30000 ms. */
  bodyTimeoutMs?: number;
  /**
   * Largest response body (as received, before decoding) of any request through this agent;
   * a larger one fails with undici's `UND_ERR_RES_EXCEEDED_MAX_SIZE`. Useful when the agent is
   * the global dispatcher, for Fedify's own fetches (WebFinger reads its JSON uncapped).
   * Default: no cap (`SafeFetch` enforces its own).
   */
  maxResponseBytes?: number;
}

/** Resolves with the operating system's resolver (`getaddrinfo`), every address. */
export const systemResolver: Resolver = (hostname) =>
  dnsLookup(hostname, { all: true, verbatim: true });

const allowAll: AddressPolicy = () => null;

/**
 * Creates an undici `Agent` that refuses to connect to non-public addresses. The host is
 * resolved once per connection, every address is checked, and the socket is dialled to those
 * checked addresses only: there is no second lookup a rebinding DNS server could answer
 * differently. IP-literal hosts are checked the same way. A refusal fails the request with a
 * {@link SafeFetchError} (reason `private-address`); through `fetch` it arrives as the `cause`
 * of the `TypeError('fetch failed')`.
 *
 * Connections are pooled and kept alive per origin (undici's defaults). The agent can be
 * installed process-wide with undici's `setGlobalDispatcher`; Node's built-in `fetch` then uses
 * it too.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const policy =
    options.addressPolicy ?? (options.allowPrivateAddresses ? allowAll : addressRefusal);
  const resolve = options.resolve ?? systemResolver;
  const dial = buildConnector({
    timeout: options.connectTimeoutMs ?? 5_000,
    lookup: guardedLookup(resolve, policy),
  });
  const connect: buildConnector.connector = (target, callback) => {
    const origin = `${target.protocol}//${target.host ?? target.hostname}`;
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const refusal = isIP(host) === 0 ? null : policy(host);
    if (refusal !== null) {
      const message = `refused to connect: ${host} is ${refusal}`;
      callback(new SafeFetchError('private-address', origin, message), null);
      return;
    }
    dial(target, (...result) => {
      const [error] = result;
      if (error instanceof LookupFailure) {
        callback(new SafeFetchError(error.reason, origin, error.message), null);
      } else {
        callback(...result);
      }
    });
  };
  return new Agent({
    connect,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    maxResponseSize: options.maxResponseBytes ?? -1,
  });
}

/** A refusal or failure found by the lookup, which knows the host name but not the origin. */
class LookupFailure extends Error {
  constructor(
    readonly reason: 'private-address' | 'network',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A `lookup` for `net.connect` that resolves with `resolve`, refuses the connection when any
 * address fails `policy`, and hands the checked addresses to the socket.
 */
function guardedLookup(resolve: Resolver, policy: AddressPolicy): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    const fail = (reason: LookupFailure['reason'], message: string): void => {
      callback(new LookupFailure(reason, message), '');
    };
    resolve(hostname).then(
      (found) => {
        const addresses = found.map(({ address }) => ({ address, family: isIP(address) }));
        if (addresses.length === 0 || addresses.some(({ family }) => family === 0)) {
          fail('network', `${hostname} did not resolve to IP addresses`);
          return;
        }
        for (const { address } of addresses) {
          const refusal = policy(address);
          if (refusal !== null) {
            fail(
              'private-address',
              `refused to connect: ${hostname} resolves to ${address}, which is ${refusal}`,
            );
            return;
          }
        }
        const family = lookupOptions.family;
        const usable =
          family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (first === undefined) {
          fail('network', `${hostname} has no IPv${String(family)} address`);
        } else if (lookupOptions.all === true) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), '');
      },
    );
  };
}
