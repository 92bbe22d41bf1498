/** The SSRF-safe fetch feeds are read with (5 MiB cap, shorter timeouts than federation's). */
export const FEED_FETCH = Symbol('FEED_FETCH');
