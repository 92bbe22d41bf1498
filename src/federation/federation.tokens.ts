/** Injection token of the Fedify `Federation<void>`. */
export const FEDERATION = Symbol('FEDERATION');
/** Injection token of the {@link PostgresKvStore} Fedify uses. */
export const FEDIFY_KV = Symbol('FEDIFY_KV');
/** Injection token of the SSRF-safe {@link SafeFetch} every outgoing request uses. */
export const SAFE_FETCH = Symbol('SAFE_FETCH');
/** Injection token of a JSON fetcher on the SSRF-safe fetch (WebFinger of readers' servers). */
export const REMOTE_JSON = Symbol('REMOTE_JSON');
