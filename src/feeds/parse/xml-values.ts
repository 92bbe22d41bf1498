// Readers for the loosely shaped values xml2js produces (through rss-parser): an element is a
// string, or `{ _: text, $: attributes, child: [...] }` when it has attributes or children, and
// a field kept with `keepArray` is an array of those.

/** An object as produced by xml2js. */
export type XmlRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is XmlRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as a list: arrays as they are, a single value as a one-element list, nothing as []. */
export function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  return value === undefined || value === null ? [] : [value];
}

/** The text of an element: the string itself or its `_`; '' for an element with attributes only. */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    const text = value._;
    if (typeof text === 'string') return text;
    if (!Object.keys(value).some((key) => key !== '$')) return '';
  }
  return null;
}

/** The trimmed text of the first element of `value`, or null when missing or blank. */
export function firstText(value: unknown): string | null {
  for (const element of list(value)) {
    const text = textOf(element)?.trim();
    if (text !== undefined && text !== '') return text;
  }
  return null;
}

/** The attributes of an element (`$`), string-valued ones only. */
export function attributesOf(value: unknown): Record<string, string> {
  const attrs = isRecord(value) ? value.$ : undefined;
  const out: Record<string, string> = {};
  if (isRecord(attrs)) {
    for (const [name, v] of Object.entries(attrs)) if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/**
 * All text inside an element, children included, in xml2js' order (own text first, then the
 * children's): the best that can be had of mixed content after xml2js (e.g. Atom xhtml titles).
 */
export function deepText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(deepText).join(' ');
  if (!isRecord(value)) return '';
  return Object.entries(value)
    .filter(([key]) => key !== '$')
    .map(([, child]) => deepText(child))
    .join(' ');
}
