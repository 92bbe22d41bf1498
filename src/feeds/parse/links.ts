/** Query parameters that only track where a click came from; names compared lower-cased. */
const TRACKING_PARAMS = new Set([
  'source',
  'sk',
  'gi',
  'ref',
  'ref_src',
  'fbclid',
  'gclid',
  'mc_cid',
  'mc_eid',
  '_hsenc',
  '_hsmi',
  'mkt_tok',
  'igshid',
]);

function isTrackingParam(rawName: string): boolean {
  let name = rawName.replace(/\+/g, ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // A malformed escape is kept as written; it cannot match a tracking name anyway.
  }
  name = name.toLowerCase();
  return name.startsWith('utm_') || TRACKING_PARAMS.has(name);
}

/**
 * A link in the form used for comparing and storing: scheme and host lower-cased, default port
 * dropped (both by the WHATWG URL parser), fragment dropped, tracking query parameters (`utm_*`,
 * `source`, `sk`, `gi`, `ref`, `ref_src`, `fbclid`, `gclid`, `mc_cid`, `mc_eid`, `_hsenc`, `_hsmi`,
 * `mkt_tok`, `igshid`; names case-insensitive) removed. Other parameters keep their order and
 * their exact encoding; an empty `?` is dropped. Input that is not an absolute http(s) URL is
 * returned trimmed and otherwise unchanged.
 */
export function normalizeLink(url: string): string {
  const trimmed = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return trimmed;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return trimmed;
  // `search` is already percent-encoded; splitting it by hand keeps every kept pair byte-exact
  // (URLSearchParams would re-encode spaces as `+` and normalize other escapes).
  const kept = parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParam(pair.split('=', 1)[0] ?? ''));
  parsed.search = kept.length === 0 ? '' : `?${kept.join('&')}`;
  parsed.hash = '';
  return parsed.href;
}

/** Whether `value` parses as an absolute URL on its own (any scheme). */
export function isAbsoluteUrl(value: string): boolean {
  return URL.canParse(value.trim());
}

/**
 * `value` made absolute against `base`. Absolute input (any scheme) is returned trimmed and
 * unchanged; relative input without a usable base, or that does not resolve, is returned trimmed.
 */
export function resolveUrl(value: string, base: string | null): string {
  const trimmed = value.trim();
  if (trimmed === '' || base === null || isAbsoluteUrl(trimmed)) return trimmed;
  try {
    return new URL(trimmed, base).href;
  } catch {
    return trimmed;
  }
}

/** Whether `value` is an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value.trim());
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
