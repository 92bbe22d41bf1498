/**
 * What Mastodon (4.3–4.6) shows for an incoming `Article`, computed from our JSON by the rules in
 * ../shared/INTEROP.md (app/lib/activitypub/parser/status_parser.rb and its sanitizer): the
 * status text is `<h2>name</h2>`, the `summary` and the linkified `url` — `content` is ignored —
 * and the sanitizer turns headings into bold paragraphs. Used to snapshot what a follower reads.
 */
export interface MastodonView {
  /** The status HTML after Mastodon's conversion. */
  readonly html: string;
  /** The same as plain text, one paragraph per line. */
  readonly text: string;
  /** The link the card is built from (the first link in the text). */
  readonly cardUrl: string | null;
  readonly language: string | null;
  /** Shown behind a content warning (`sensitive`; `summary` is never the CW on an Article). */
  readonly sensitive: boolean;
  readonly createdAt: string | null;
  readonly editedAt: string | null;
}

type Json = Record<string, unknown>;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The `url` Mastodon uses: a string, or the first Link whose `mimeType` is text/html or absent. */
export function mastodonUrl(object: Json): string | null {
  const urls = Array.isArray(object.url) ? (object.url as unknown[]) : [object.url];
  for (const url of urls) {
    if (typeof url === 'string') return url;
    if (typeof url === 'object' && url !== null) {
      const link = url as Json;
      const mime = str(link.mimeType);
      if (mime === null || mime === 'text/html') return str(link.href);
    }
  }
  return str(object.id);
}

function firstKey(map: unknown): string | null {
  if (typeof map !== 'object' || map === null) return null;
  return Object.keys(map)[0] ?? null;
}

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Computes the {@link MastodonView} of an Article. */
export function mastodonView(article: Json): MastodonView {
  const name = str(article.name) ?? '';
  const summary = str(article.summary) ?? '';
  const url = mastodonUrl(article);
  const parts = [`<h2>${escape(name)}</h2>`, summary];
  if (url !== null) parts.push(`<p><a href="${escape(url)}">${escape(url)}</a></p>`);
  const raw = parts.filter((p) => p !== '').join('\n\n');
  // Mastodon's sanitizer: headings become bold paragraphs.
  const html = raw.replace(/<h[1-6]>/g, '<p><strong>').replace(/<\/h[1-6]>/g, '</strong></p>');
  const text = html
    .replace(/<\/p>\s*/g, '\n')
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
  const cardMatch = /<a [^>]*href="([^"]+)"/.exec(html);
  return {
    html,
    text,
    cardUrl: cardMatch?.[1]?.replace(/&amp;/g, '&') ?? null,
    language:
      firstKey(article.contentMap) ?? firstKey(article.nameMap) ?? firstKey(article.summaryMap),
    sensitive: article.sensitive === true,
    createdAt: str(article.published),
    editedAt: str(article.updated),
  };
}
