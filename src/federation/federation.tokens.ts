/** Injection token of the Fedify `Federation<void>`. */
export const FEDERATION = Symbol('FEDERATION');
/** Injection token of the {@link PostgresKvStore} Fedify uses. */
export const FEDIFY_KV = Symbol('FEDIFY_KV');
