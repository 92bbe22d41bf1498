/**
 * The SSRF-safe outbound HTTP layer: every request to a remote, untrusted URL goes through
 * {@link SafeFetch} (or, for Fedify's own sends, its guarded agent installed as undici's global
 * dispatcher), and Fedify loads documents through the loaders built on it.
 */
export { addressRefusal, isPublicAddress } from './address-policy.js';
export {
  ACTIVITYPUB_ACCEPT,
  CONTEXT_ACCEPT,
  type ContextLoaderOptions,
  createAuthenticatedDocumentLoaderFactory,
  createContextLoader,
  createContextLoaderFactory,
  createDocumentLoader,
  createDocumentLoaderFactory,
  DocumentLoaderError,
  type DocumentLoaderOptions,
  type DocumentRejection,
  mediaType,
} from './document-loader.js';
export { SafeFetchError, type SafeFetchReason } from './error.js';
export {
  type AddressPolicy,
  createGuardedAgent,
  type GuardedAgentOptions,
  type ResolvedAddress,
  type Resolver,
  systemResolver,
} from './guarded-agent.js';
export { SafeFetch, type SafeFetchInit, type SafeFetchOptions } from './safe-fetch.js';
