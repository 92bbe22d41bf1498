import type { SafeFetch } from '../net/index.js';
import type { JsonFetcher } from './web/remote-follow.js';

/**
 * Fetches a small JSON document (WebFinger JRD and the like) through the SSRF-safe fetch;
 * `null` for any failure, which callers turn into a message for the reader.
 */
export function remoteJsonFetcher(safeFetch: SafeFetch): JsonFetcher {
  return async (url) => {
    try {
      const response = await safeFetch.fetch(url, {
        headers: { Accept: 'application/jrd+json, application/json' },
      });
      if (!response.ok) return null;
      const json: unknown = await response.json();
      return json;
    } catch {
      return null;
    }
  };
}
