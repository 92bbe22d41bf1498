import sanitizeHtml from 'sanitize-html';

// The HTML that goes into our Articles. FEP-b2b8 lists the tags a long-form `content` may use;
// Mastodon ignores `content` and builds its status from `name`, `summary` and `url`, so `summary`
// must read well on its own and must not carry a link (it would take the link card).
//
// `sanitizeArticleHtml` runs sanitize-html twice. The first pass ("normalize") reads the story:
// resolves URLs, drops tracking pixels and dangerous elements with their contents, and writes
// headings, captions and rules as marker elements, then replaced by the paragraphs they stand
// for (sanitize-html can rename a tag but not wrap it in another). The second pass ("enforce")
// re-parses that with the bare allowlist and takes apart the nesting a browser would read
// differently, so the result is parsed the same way by any later reader, ourselves included:
// feeding it back changes nothing.
//
// Elements to unwrap or drop are renamed to marker elements that the pass allows, removed as
// strings afterwards. Renaming them to a disallowed name instead would hit a sanitize-html bug
// (2.18.1): the rename stays recorded for that depth and a later sibling gets closed with it,
// `<div><a>x</a><p>y</p></div>` with `a` renamed to a disallowed `gone` gives
// `<div>x<p>y</gone></div>`.

/** FEP-b2b8's tags for `content`; nothing else reaches the output. */
const ARTICLE_TAGS = [
  'p',
  'span',
  'br',
  'a',
  'del',
  'pre',
  'code',
  'em',
  'strong',
  'b',
  'i',
  'u',
  'ul',
  'ol',
  'li',
  'blockquote',
  'img',
  'video',
  'audio',
];

/**
 * Elements dropped together with everything inside them: scripting, styling, embedded documents
 * and plugins, foreign content (SVG, MathML), forms, inert templates, raw-text elements and the
 * document head. Any other tag outside {@link ARTICLE_TAGS} is unwrapped (its text kept).
 */
const DROPPED_WITH_CONTENT = [
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'option',
  'datalist',
  'template',
  'noscript',
  'noembed',
  'noframes',
  'xmp',
  'title',
  'head',
  'base',
  'meta',
  'link',
];

/** Mastodon's microformat classes, the only classes kept on `a` and `span`. */
const MICROFORMAT_CLASSES = ['h-card', 'mention', 'hashtag', 'u-url', 'invisible', 'ellipsis'];

/** A code block's language, as highlighters and Markdown renderers write it. */
const LANGUAGE_CLASS = /^language-[a-z0-9_+#.-]+$/i;

const LINK_REL = 'nofollow noopener noreferrer';

/** Elements that may not sit inside a paragraph (HTML's flow content among our tags). */
const FLOW_TAGS = ['p', 'pre', 'ul', 'ol', 'li', 'blockquote'];

/** What a horizontal rule (a scene break) becomes. */
const RULE_HTML = '<p>—</p>';

// Marker elements. They have no attributes and sanitize-html escapes every `<` in text and
// attribute values, so in a pass's output these exact strings can only be the markers. Input
// using their names is unwrapped.
const HEADING = 'bridge-heading';
const CAPTION = 'bridge-caption';
const RULE = 'bridge-rule';
const UNWRAP = 'bridge-unwrap';
const DROP = 'bridge-drop';
const MARKERS = [HEADING, CAPTION, RULE, UNWRAP, DROP];

/** Whitespace without nbsp and with a line break: layout between blocks, insignificant. */
const LAYOUT_WHITESPACE = /^[ \t\r\f]*\n[ \t\n\r\f]*$/;

type Attributes = sanitizeHtml.Attributes;
type Tag = sanitizeHtml.Tag;
type Transformer = sanitizeHtml.Transformer;

/** Removed with its tags after the pass; its content stays. */
const unwrap = (): Tag => ({ tagName: UNWRAP, attribs: {} });
/** For void elements only: removed after the pass. */
const drop = (): Tag => ({ tagName: DROP, attribs: {} });
const rename =
  (tagName: string): Transformer =>
  () => ({ tagName, attribs: {} });

function parseUrl(url: string, base?: string): URL | null {
  // Browsers take an empty URL as "this document"; for an image or a link that is never meant.
  if (url.trim() === '') return null;
  // Protocol-relative URLs would inherit the reader's scheme; we only ever mean https.
  const input = /^\s*[/\\]{2}/.test(url) ? `https:${url.trim()}` : url;
  try {
    return base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    return null;
  }
}

function isHttp(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'http:';
}

/**
 * `url` resolved against `base` and serialized by the WHATWG URL parser, which also removes the
 * tabs and newlines a scheme can hide (`java\tscript:`). Protocol-relative URLs (`//host/x`)
 * become https. Returns null when the result is not http(s), when `url` is empty or blank, or
 * when it cannot be resolved (a relative `url` and an unusable `base`); an absolute `url` does
 * not need a valid `base`.
 */
export function absoluteUrl(url: string, base: string): string | null {
  const parsed = parseUrl(url) ?? parseUrl(url, parseUrl(base)?.href ?? 'invalid:');
  return parsed !== null && isHttp(parsed) ? parsed.href : null;
}

/** A link target: http(s) resolved against `base`, or a `mailto:` address. */
function linkUrl(href: string | undefined, base: string): string | null {
  if (href === undefined) return null;
  const mail = parseUrl(href);
  if (mail?.protocol === 'mailto:') return mail.href;
  return absoluteUrl(href, base);
}

/** A pixel size from an attribute or CSS value (`1`, `1px`, `0.5`); null for anything else. */
function pixels(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:px)?\s*(?:!\s*important\s*)?$/i.exec(value);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** `width`/`height` from an inline style; the last declaration wins, as in CSS. */
function styleSize(style: string | undefined, property: 'width' | 'height'): number | null {
  if (style === undefined) return null;
  let size: number | null = null;
  for (const declaration of style.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon < 0 || declaration.slice(0, colon).trim().toLowerCase() !== property) continue;
    size = pixels(declaration.slice(colon + 1)) ?? size;
  }
  return size;
}

/**
 * Whether an `<img>` only counts views: its width and height (inline style first, then the
 * attributes) are both ≤ 1 px, or it loads Medium's view counter (path `/_/stat`, on medium.com
 * or a publication's own domain). Runs in a transform, before attributes are filtered: the
 * `style` attribute is gone after that.
 */
function isTrackingPixel(attribs: Attributes, src: string): boolean {
  if (new URL(src).pathname.endsWith('/_/stat')) return true;
  const width = styleSize(attribs.style, 'width') ?? pixels(attribs.width);
  const height = styleSize(attribs.style, 'height') ?? pixels(attribs.height);
  return width !== null && height !== null && width <= 1 && height <= 1;
}

/** A `width`/`height` attribute kept only as a plain pixel count. */
function dimension(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^\s*(\d{1,5})\s*$/.exec(value);
  return match?.[1] === undefined ? undefined : String(Number(match[1]));
}

/** The defined entries of `entries`, in order (the order attributes are written in). */
function defined(entries: Record<string, string | undefined>): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries(entries)) if (value !== undefined) out[name] = value;
  return out;
}

/** Links and media, in both passes: URLs resolved and checked, attributes rebuilt. */
function linkAndMediaTransforms(
  base: string,
): Record<'a' | 'img' | 'video' | 'audio', Transformer> {
  return {
    // A link without a usable target is not a link: its text stays.
    a: (tagName, attribs) => {
      const href = linkUrl(attribs.href, base);
      if (href === null) return unwrap();
      return {
        tagName,
        attribs: defined({ href, class: attribs.class, rel: LINK_REL, target: '_blank' }),
      };
    },
    img: (tagName, attribs) => {
      const src = absoluteUrl(attribs.src ?? '', base);
      if (src === null || isTrackingPixel(attribs, src)) return drop();
      return {
        tagName,
        attribs: defined({
          src,
          alt: attribs.alt,
          width: dimension(attribs.width),
          height: dimension(attribs.height),
        }),
      };
    },
    // Media without a playable source is unwrapped (its fallback text stays). Media that plays
    // always gets controls: `autoplay` is dropped and a reader has no other way to start it.
    video: (tagName, attribs) => {
      const src = absoluteUrl(attribs.src ?? '', base);
      if (src === null) return unwrap();
      const poster = attribs.poster === undefined ? null : absoluteUrl(attribs.poster, base);
      return { tagName, attribs: defined({ src, poster: poster ?? undefined, controls: '' }) };
    },
    audio: (tagName, attribs) => {
      const src = absoluteUrl(attribs.src ?? '', base);
      if (src === null) return unwrap();
      return { tagName, attribs: { src, controls: '' } };
    },
  };
}

/**
 * Drops paragraphs with no visible content: no text but whitespace (nbsp included) and no
 * image or media at any depth. sanitize-html lists media among direct children only, so the
 * position of the last media element written is tracked instead: media inside the paragraph
 * was written after the paragraph's opening tag. Removing a paragraph cuts only the end of the
 * output, where there was no media, so the positions recorded before stay valid.
 */
function emptyParagraphFilter(): (frame: sanitizeHtml.IFrame) => boolean {
  let lastMedia = -1;
  return (frame) => {
    // Kept media always has a `src`; a dropped or unwrapped one has no attributes.
    if (frame.attribs.src !== undefined) {
      lastMedia = Math.max(lastMedia, frame.tagPosition);
      return false;
    }
    return frame.tag === 'p' && frame.text.trim() === '' && lastMedia < frame.tagPosition;
  };
}

const SHARED_OPTIONS: sanitizeHtml.IOptions = {
  allowedAttributes: {
    a: ['href', 'rel', 'target'],
    img: ['src', 'alt', 'width', 'height'],
    video: ['src', 'poster', 'controls'],
    audio: ['src', 'controls'],
  },
  allowedClasses: {
    a: MICROFORMAT_CLASSES,
    span: MICROFORMAT_CLASSES,
    code: [LANGUAGE_CLASS],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: {
    img: ['http', 'https'],
    video: ['http', 'https'],
    audio: ['http', 'https'],
  },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: DROPPED_WITH_CONTENT,
  // Spelled out: an option given as `undefined` replaces sanitize-html's default (Object.assign).
  selfClosing: [...sanitizeHtml.defaults.selfClosing, RULE, DROP],
};

/** The normalize pass. */
function normalizeOptions(base: string): sanitizeHtml.IOptions {
  return {
    ...SHARED_OPTIONS,
    allowedTags: [...ARTICLE_TAGS, ...MARKERS],
    transformTags: {
      ...linkAndMediaTransforms(base),
      h1: rename(HEADING),
      h2: rename(HEADING),
      h3: rename(HEADING),
      h4: rename(HEADING),
      h5: rename(HEADING),
      h6: rename(HEADING),
      figcaption: rename(CAPTION),
      hr: rename(RULE),
      s: rename('del'),
      strike: rename('del'),
      ...Object.fromEntries(MARKERS.map((marker) => [marker, unwrap])),
    },
    exclusiveFilter: emptyParagraphFilter(),
  };
}

/**
 * The enforce pass: the allowlist, plus the nesting a browser would not reproduce taken apart.
 * htmlparser2 keeps a `<p>` or a list inside `<p><strong>…` and a link inside `<a><b>…`, where a
 * browser closes the paragraph or the outer link; such blocks inside a paragraph and links
 * inside a link are unwrapped. Whitespace between blocks is collapsed afterwards, see
 * {@link collapseLayoutWhitespace}.
 */
function enforceOptions(base: string): sanitizeHtml.IOptions {
  // Open `p` and `a` elements, counted from the parser's own events: they run before any
  // transform and are balanced (every element opened is reported closed, implied or not).
  const depth = { p: 0, a: 0 };
  const count = (name: string, by: number): void => {
    if (name === 'p' || name === 'a') depth[name] += by;
  };
  // A `p` counts itself: its open event came first.
  const flow: Transformer = (tagName) =>
    depth.p > (tagName === 'p' ? 1 : 0) ? unwrap() : { tagName, attribs: {} };
  const { a: link, ...media } = linkAndMediaTransforms(base);
  return {
    ...SHARED_OPTIONS,
    allowedTags: [...ARTICLE_TAGS, UNWRAP, DROP],
    onOpenTag: (name) => {
      count(name, 1);
    },
    onCloseTag: (name) => {
      count(name, -1);
    },
    transformTags: {
      ...media,
      ...Object.fromEntries(FLOW_TAGS.map((tag) => [tag, flow])),
      a: (tagName, attribs) => (depth.a > 1 ? unwrap() : link(tagName, attribs)),
    },
    exclusiveFilter: emptyParagraphFilter(),
  };
}

/**
 * Makes each text run of the enforce pass's output (markers removed) that is only whitespace
 * with a line break, outside `pre`, one line break: the layout between blocks.
 *
 * Done on the output, not in a `textFilter`, because a filter sees htmlparser2's text chunks,
 * not text runs: chunks end at every character reference and at every element, including the
 * ones the pass unwraps. So `&lt; \r\n &gt;` had its middle collapsed, and the two sides of an
 * unwrapped element were collapsed apart (`\n\n`), then together on the next pass, and a `pre`
 * unwrapped inside a paragraph kept its whitespace until the next pass: sanitizing the output
 * again changed it. Found by the property test (article-html.property.spec.ts); its regression
 * cases keep the inputs. The output escapes every `<` and `>` in text and attribute values, so
 * `<…>` is always a tag here, and a kept `pre` has no attributes.
 */
function collapseLayoutWhitespace(html: string): string {
  let pre = 0;
  return html.replace(/(<[^>]*>)|([^<]+)/g, (_match, tag?: string, text?: string) => {
    if (tag !== undefined) {
      if (tag === '<pre>') pre++;
      else if (tag === '</pre>') pre = Math.max(0, pre - 1);
      return tag;
    }
    const run = text ?? '';
    return pre === 0 && LAYOUT_WHITESPACE.test(run) ? '\n' : run;
  });
}

/** Removes the unwrap and drop markers. */
function removeMarkers(html: string): string {
  return html
    .replaceAll(`<${UNWRAP}>`, '')
    .replaceAll(`</${UNWRAP}>`, '')
    .replaceAll(`<${DROP} />`, '');
}

/** Writes headings, captions and rules as the paragraphs they stand for. */
function expandMarkers(html: string): string {
  return removeMarkers(html)
    .replaceAll(`<${HEADING}>`, '<p><strong>')
    .replaceAll(`</${HEADING}>`, '</strong></p>')
    .replaceAll(`<${CAPTION}>`, '<p><em>')
    .replaceAll(`</${CAPTION}>`, '</em></p>')
    .replaceAll(`<${RULE} />`, RULE_HTML);
}

/**
 * A story body as the `content` of an Article, sanitized to FEP-b2b8's allowlist (`p span br a
 * del pre code em strong b i u ul ol li blockquote img video audio`).
 *
 * - Headings `h1`–`h6` become `<p><strong>…</strong></p>` (what Mastodon's own sanitizer does);
 *   `figure` is unwrapped and its `figcaption` becomes `<p><em>…</em></p>`; `hr` (a scene
 *   break) becomes `<p>—</p>`; `s` and `strike` become `del`. Other unknown tags (`div`,
 *   `section`, `table`, …) are unwrapped and their text kept; `script`, `style`, `iframe`,
 *   `object`, `embed`, `svg`, `math`, form controls, `template`, `noscript` and the like are
 *   dropped with their content, as are comments and CDATA.
 * - Attributes: `a[href]` (http, https, mailto) with `rel="nofollow noopener noreferrer"` and
 *   `target="_blank"` (a link without a usable `href` is unwrapped); `img[src alt width height]`
 *   (sizes only as plain pixel counts); `video[src poster controls]` and `audio[src controls]`
 *   (controls always on; media without a usable `src` is unwrapped); `class` only for
 *   Mastodon's microformats (`h-card mention hashtag u-url invisible ellipsis`) on `a` and
 *   `span`, and `language-*` on `code`. No `style`, `on*`, `srcset` or anything else.
 * - URLs are resolved against `baseUrl` (the story's canonical URL); protocol-relative ones
 *   become https; media must be http(s). `javascript:`, `vbscript:`, `data:` and any other
 *   scheme are removed, however they are spelled or encoded.
 * - Tracking pixels are removed: images whose width and height are both ≤ 1 px (inline style
 *   or attributes) and Medium's `/_/stat` counter.
 * - A block inside a paragraph is unwrapped, and so is a link inside a link, so that browsers
 *   read the output as the tree we wrote; paragraphs with neither text nor media are removed;
 *   whitespace between blocks is one line break; the result is trimmed.
 *
 * Deterministic and idempotent: the output fed back in comes out unchanged.
 *
 * @throws TypeError when `baseUrl` is not an absolute http(s) URL.
 */
export function sanitizeArticleHtml(html: string, baseUrl: string): string {
  const base = parseUrl(baseUrl);
  if (base === null || !isHttp(base)) {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  const normalized = expandMarkers(sanitizeHtml(html, normalizeOptions(base.href)));
  const enforced = removeMarkers(sanitizeHtml(normalized, enforceOptions(base.href)));
  return collapseLayoutWhitespace(enforced).trim();
}

/** Looks like markup: a complete tag, a comment, or a character reference. */
const LOOKS_LIKE_HTML = /<\/?[a-z][^<>]*>|<!--|&(?:[a-z][a-z0-9]*|#\d+|#x[0-9a-f]+);/i;

/** Tags that separate words when markup is flattened to text. */
const BLOCK_TAGS = [
  'p',
  'div',
  'br',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'li',
  'dt',
  'dd',
  'blockquote',
  'pre',
  'figure',
  'figcaption',
  'table',
  'tr',
  'td',
  'th',
  'section',
  'article',
  'header',
  'footer',
  'aside',
];

/** Block elements become this marker (allowed, so renaming to it is safe), then a space. */
const BLOCK = 'bridge-block';

const TEXT_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [BLOCK],
  allowedAttributes: {},
  disallowedTagsMode: 'discard',
  nonTextTags: DROPPED_WITH_CONTENT,
  transformTags: Object.fromEntries(BLOCK_TAGS.map((tag) => [tag, rename(BLOCK)])),
};

const TEXT_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/**
 * `input` as plain text. Input that looks like markup (a complete tag, a comment or a character
 * reference) is read as HTML: tags stripped (the content of script, style and the like
 * dropped), block boundaries made spaces, entities decoded. Anything else is taken literally,
 * so `5 < 6 & 7` stays as it is. Whitespace is collapsed, control characters removed, the
 * result trimmed.
 */
function toText(input: string): string {
  let text = input;
  if (LOOKS_LIKE_HTML.test(input)) {
    // sanitize-html decodes every entity and re-escapes only &, < and > in text; undo those.
    text = sanitizeHtml(input, TEXT_OPTIONS)
      .replaceAll(`<${BLOCK}>`, ' ')
      .replaceAll(`</${BLOCK}>`, ' ')
      .replace(/&(amp|lt|gt);/g, (_match, name: string) => TEXT_ENTITIES[name] ?? '');
  }
  return text
    .replace(/\s+/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .trim();
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` cut to at most `max` user-perceived characters (grapheme clusters), the "…" included
 * when cut. The cut falls on the last space that keeps at least half of the room; text without
 * one (a long word, a URL, CJK) is cut mid-word. Spaces and `,;:` before the "…" are removed.
 */
function truncate(text: string, max: number): string {
  if (!Number.isFinite(max) || max < 1) return '';
  const parts: string[] = [];
  for (const { segment } of graphemes.segment(text)) {
    parts.push(segment);
    if (parts.length > max) break;
  }
  if (parts.length <= max) return text;
  // `max - 1` graphemes of text and the "…"; parts[room] is the first grapheme left out.
  const room = max - 1;
  let end = room;
  if (parts[room] !== ' ') {
    let space = room - 1;
    while (space >= 0 && parts[space] !== ' ') space--;
    if (space >= Math.ceil(room / 2)) end = space;
  }
  const head = parts
    .slice(0, end)
    .join('')
    .replace(/[ ,;:]+$/, '');
  return `${head}…`;
}

/** Escapes text content as sanitize-html does (`&`, `<`, `>`), so our HTML is a fixed point. */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes a double-quoted attribute value as sanitize-html does. */
function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;');
}

/**
 * The `summary` of an Article: a subtitle or excerpt as one escaped `<p>`. Plain text is taken
 * literally (`5 < 6 & 7` is escaped, not parsed); text that looks like HTML (a tag, a comment
 * or an entity) is flattened to text first. So the result never holds markup from the input,
 * in particular never a link: Mastodon takes its link card from the first link of the status,
 * and `summary` is part of the status. The text is cut at a word boundary so that its visible
 * length, "…" included, is at most `maxChars`. Empty or blank input gives `''`.
 */
export function summaryHtml(input: string, maxChars = 500): string {
  const text = truncate(toText(input), maxChars);
  return text === '' ? '' : `<p>${escapeText(text)}</p>`;
}

/**
 * The `name` of an Article, plain text as FEP-b2b8 wants it: when the input looks like HTML
 * its tags are stripped and its entities decoded (`&amp;` → `&`); whitespace is collapsed, the
 * result trimmed and cut at a word boundary to at most `maxChars` characters, "…" included. The
 * result is not escaped: a `<` in a title stays the character `<` (consumers escape `name`).
 */
export function plainTitle(input: string, maxChars = 150): string {
  return truncate(toText(input), maxChars);
}

/**
 * The `content` of a members-only story, which never carries the story itself: the summary
 * paragraph (see {@link summaryHtml}; none when `summary` is null or blank), "This story is for
 * members only." and a link to `canonicalUrl` reading "Read it on {platformName}" (the URL's
 * host when no name is given). Everything is escaped, and the result is already in the form
 * {@link sanitizeArticleHtml} gives.
 *
 * @throws TypeError when `canonicalUrl` is not an absolute http(s) URL.
 */
export function membersOnlyHtml(
  summary: string | null,
  canonicalUrl: string,
  platformName?: string,
): string {
  const url = parseUrl(canonicalUrl);
  if (url === null || !isHttp(url)) {
    throw new TypeError(
      `canonicalUrl must be an absolute http(s) URL, got ${JSON.stringify(canonicalUrl)}`,
    );
  }
  const name = plainTitle(platformName ?? '', 100);
  return [
    summary === null ? '' : summaryHtml(summary),
    '<p>This story is for members only.</p>',
    `<p><a href="${escapeAttribute(url.href)}" rel="${LINK_REL}" target="_blank">` +
      `Read it on ${escapeText(name === '' ? url.host : name)}</a></p>`,
  ].join('');
}
