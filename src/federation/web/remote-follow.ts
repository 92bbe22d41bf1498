/** Where a reader's server takes a remote-follow: its OStatus subscribe / authorize_interaction. */
export type RemoteFollowResult =
  { readonly ok: true; readonly redirect: URL } | { readonly ok: false; readonly message: string };

/** Fetches a JSON document (through the SSRF-safe fetch); `null` when it cannot. */
export type JsonFetcher = (url: URL) => Promise<unknown>;

const SUBSCRIBE_REL = 'http://ostatus.org/schema/1.0/subscribe';
const HOST =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;

/**
 * Parses what a reader typed: `@user@server`, `user@server`, `server` or `https://server/...`.
 * Returns the server's host and, when given, the reader's account.
 */
export function parseReaderInput(input: string): { host: string; acct: string | null } | null {
  let text = input.trim().toLowerCase();
  if (text.startsWith('https://') || text.startsWith('http://')) {
    try {
      text = new URL(text).host;
    } catch {
      return null;
    }
  }
  text = text.replace(/^@/, '').replace(/\/.*$/, '');
  const at = text.lastIndexOf('@');
  const host = at === -1 ? text : text.slice(at + 1);
  const user = at === -1 ? null : text.slice(0, at);
  if (!HOST.test(host) || (user !== null && !/^[a-z0-9_.-]+$/.test(user))) return null;
  return { host, acct: user === null ? null : `${user}@${host}` };
}

/**
 * Finds the reader's server's remote-interaction template by WebFinger (their account when given,
 * else the server's instance account `server@server`, as Mastodon publishes it) and fills it with
 * the actor to follow.
 */
export async function resolveRemoteFollow(
  input: string,
  actorUri: URL,
  fetchJson: JsonFetcher,
  scheme: 'https' | 'http' = 'https',
): Promise<RemoteFollowResult> {
  const reader = parseReaderInput(input);
  if (reader === null) {
    return {
      ok: false,
      message: 'Enter your server (mastodon.social) or your handle (@you@mastodon.social).',
    };
  }
  const resources =
    reader.acct === null ? [`acct:${reader.host}@${reader.host}`] : [`acct:${reader.acct}`];
  for (const resource of resources) {
    const url = new URL(`${scheme}://${reader.host}/.well-known/webfinger`);
    url.searchParams.set('resource', resource);
    const jrd = await fetchJson(url);
    const template = subscribeTemplate(jrd);
    if (template !== null) {
      const redirect = template.replace('{uri}', encodeURIComponent(actorUri.href));
      try {
        const target = new URL(redirect);
        if (target.protocol === 'https:' || target.protocol === scheme + ':')
          return { ok: true, redirect: target };
      } catch {
        // an unusable template is the same as none
      }
    }
  }
  return {
    ok: false,
    message: `Could not find a fediverse server that supports remote follow at ${reader.host}. Check the spelling, or search for the handle in your app instead.`,
  };
}

function subscribeTemplate(jrd: unknown): string | null {
  if (typeof jrd !== 'object' || jrd === null) return null;
  const links = (jrd as { links?: unknown }).links;
  if (!Array.isArray(links)) return null;
  for (const link of links as unknown[]) {
    if (typeof link !== 'object' || link === null) continue;
    const { rel, template } = link as { rel?: unknown; template?: unknown };
    if (rel === SUBSCRIBE_REL && typeof template === 'string' && template.includes('{uri}')) {
      return template;
    }
  }
  return null;
}
