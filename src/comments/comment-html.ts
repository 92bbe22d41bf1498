import sanitizeHtml from 'sanitize-html';

// The HTML of replies that come in from the fediverse and become comments under a story. Any
// server may send anything here, so the allowlist is strict and every link is checked.
//
// It follows what Mastodon's own sanitizer keeps for remote posts (app/lib/sanitize_config.rb),
// because that is the HTML the senders write for: paragraphs, line breaks, links, mention and
// hashtag markup, inline emphasis, strike-through, code, quotes and lists (GoToSocial, Akkoma
// and Lemmy send Markdown rendered to these). Headings become bold paragraphs, as Mastodon does.
// Left out of Mastodon's list: `u` (reads as a link), `ruby` (unwrapped, its `rp` parentheses
// keep the reading legible), the `translate` attribute and Mastodon's own `quote-inline` class.
//
// Same technique as ../publishing/article-html.ts: a "normalize" pass rewrites the input to the
// allowlist plus marker elements (sanitize-html can rename a tag but not wrap it), the markers
// are replaced as strings, and an "enforce" pass re-parses the result and takes apart the
// nesting a browser would read differently (a block inside a paragraph, a link inside a link, a
// list item inside a list item), so that the output means the same to any later reader and
// sanitizing it again changes nothing. Tags are only ever renamed to allowed names (markers or
// the allowlist): renaming to a disallowed one trips the sanitize-html 2.18.1 bug described
// there.

/** The only tags a comment keeps. */
const COMMENT_TAGS = [
  'p',
  'br',
  'a',
  'span',
  'strong',
  'b',
  'em',
  'i',
  'del',
  's',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
];

/**
 * Elements dropped with everything inside them: scripts and styles, raw-text and inert
 * elements, embedded documents and plugins, form controls whose text is not prose, SVG and
 * MathML (their text is drawing labels or formula fragments that read as noise). Every other
 * tag outside {@link COMMENT_TAGS} is unwrapped and its text kept. `head` is not here on
 * purpose: htmlparser2 may leave it open and the whole reply would be lost.
 */
const DROPPED_WITH_CONTENT = [
  'script',
  'style',
  'template',
  'noscript',
  'noembed',
  'noframes',
  'xmp',
  'plaintext',
  'title',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'textarea',
  'select',
  'option',
  'optgroup',
  'datalist',
];

/**
 * Block elements outside the allowlist. They are unwrapped with a space on either side, so
 * that `<div>a</div><div>b</div>` reads "a b", not "ab".
 */
const SPACED_BLOCKS = [
  'div',
  'section',
  'article',
  'aside',
  'header',
  'footer',
  'nav',
  'main',
  'address',
  'figure',
  'figcaption',
  'details',
  'summary',
  'dialog',
  'center',
  'hgroup',
  'dl',
  'dt',
  'dd',
  'table',
  'caption',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'td',
  'th',
  'fieldset',
  'legend',
  'form',
];

/** Classes a link keeps: Mastodon's mention and hashtag markup (microformats included). */
const LINK_CLASSES = ['h-card', 'u-url', 'mention', 'hashtag'];
/** Classes a span keeps: the h-card around a mention, and Mastodon's shortened link text. */
const SPAN_CLASSES = ['h-card', 'invisible', 'ellipsis'];

/** What every link in a comment carries: user-generated, never passes ranking or an opener. */
const LINK_REL = 'nofollow ugc noopener';

/** Tags a browser closes an open paragraph for; inside a `p` they are unwrapped. */
const FLOW_TAGS = ['p', 'pre', 'blockquote', 'ul', 'ol', 'li'];

// Marker elements. sanitize-html escapes every `<` in text and attribute values, so in a pass's
// output these exact strings can only be the markers. Input using their names is unwrapped.
const HEADING = 'comment-heading';
const SPACE = 'comment-space';
const UNWRAP = 'comment-unwrap';
const MARKERS = [HEADING, SPACE, UNWRAP];

type Attributes = sanitizeHtml.Attributes;
type Tag = sanitizeHtml.Tag;
type Transformer = sanitizeHtml.Transformer;

const unwrap = (): Tag => ({ tagName: UNWRAP, attribs: {} });
const rename =
  (tagName: string): Transformer =>
  () => ({ tagName, attribs: {} });

/**
 * An absolute http(s) URL as the WHATWG parser serializes it (which also strips the tabs and
 * newlines that can split a scheme, `java\nscript:`), or null. A reply has no base URL we would
 * trust, so relative and protocol-relative (`//host/x`) URLs are null, like any other scheme.
 */
function httpUrl(href: string | undefined): string | null {
  if (href === undefined) return null;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
}

/** A link: its checked target, its class (filtered later), our `rel` and `target`. */
const link: Transformer = (tagName, attribs) => {
  const href = httpUrl(attribs.href);
  // A link without a usable target is not a link: its text stays, as Mastodon does.
  if (href === null) return unwrap();
  const out: Attributes = { href };
  if (attribs.class !== undefined) out.class = attribs.class;
  return { tagName, attribs: { ...out, rel: LINK_REL, target: '_blank' } };
};

/** An ordered list keeps `start` as a plain number: Markdown writes it for lists from 2 on. */
const orderedList: Transformer = (tagName, attribs) => {
  const match = /^\s*(\d{1,6})\s*$/.exec(attribs.start ?? '');
  const out: Attributes = {};
  if (match?.[1] !== undefined) out.start = String(Number(match[1]));
  return { tagName, attribs: out };
};

/** Removes control characters but tab and line feed; a carriage return becomes a line feed. */
function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\f/g, ' ')
    .replace(/(?![\t\n])\p{Cc}/gu, '');
}

const SHARED_OPTIONS: sanitizeHtml.IOptions = {
  allowedAttributes: { a: ['href', 'class', 'rel', 'target'], span: ['class'], ol: ['start'] },
  allowedClasses: { a: LINK_CLASSES, span: SPAN_CLASSES },
  allowedSchemes: ['http', 'https'],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: DROPPED_WITH_CONTENT,
  // Spelled out: an option given as `undefined` replaces sanitize-html's default.
  selfClosing: [...sanitizeHtml.defaults.selfClosing],
};

/** The normalize pass: the allowlist, headings and unknown blocks as markers. */
const NORMALIZE_OPTIONS: sanitizeHtml.IOptions = {
  ...SHARED_OPTIONS,
  allowedTags: [...COMMENT_TAGS, ...MARKERS],
  transformTags: {
    a: link,
    ol: orderedList,
    strike: rename('del'),
    ...Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [h, rename(HEADING)])),
    ...Object.fromEntries(SPACED_BLOCKS.map((tag) => [tag, rename(SPACE)])),
    ...Object.fromEntries(MARKERS.map((marker) => [marker, unwrap])),
  },
  textFilter: cleanText,
};

/**
 * The enforce pass. htmlparser2 closes an open `p`, `a` or `li` only when it is the innermost
 * element, a browser also through inline elements (`<p><b><p>`, `<a><b><a>`, `<li><b><li>`):
 * such inner elements are unwrapped. Paragraphs with no text (only whitespace or `br`) go.
 */
function enforceOptions(): sanitizeHtml.IOptions {
  // Counted from the parser's own events, which come before any transform and are balanced:
  // every element opened is reported closed, implied or not.
  let paragraphs = 0;
  let links = 0;
  const lists: string[] = []; // open ul, ol and li, innermost last
  const flow: Transformer = (tagName, attribs) => {
    // A `p` counts itself: its open event came first.
    if (paragraphs > (tagName === 'p' ? 1 : 0)) return unwrap();
    // An `li` whose nearest list-like ancestor is an `li`: a browser would close that one.
    if (tagName === 'li' && lists.at(-2) === 'li') return unwrap();
    return tagName === 'ol' ? orderedList(tagName, attribs) : { tagName, attribs: {} };
  };
  return {
    ...SHARED_OPTIONS,
    allowedTags: [...COMMENT_TAGS, UNWRAP],
    onOpenTag: (name) => {
      if (name === 'p') paragraphs++;
      else if (name === 'a') links++;
      else if (name === 'ul' || name === 'ol' || name === 'li') lists.push(name);
    },
    onCloseTag: (name) => {
      if (name === 'p') paragraphs--;
      else if (name === 'a') links--;
      else if (name === 'ul' || name === 'ol' || name === 'li') lists.pop();
    },
    transformTags: {
      ...Object.fromEntries(FLOW_TAGS.map((tag) => [tag, flow])),
      a: (tagName, attribs) => (links > 1 ? unwrap() : link(tagName, attribs)),
    },
    exclusiveFilter: (frame) => frame.tag === 'p' && frame.text.trim() === '',
  };
}

/** Removes the unwrap markers. */
function removeUnwrap(html: string): string {
  return html.replaceAll(`<${UNWRAP}>`, '').replaceAll(`</${UNWRAP}>`, '');
}

/** Writes headings as bold paragraphs and unknown blocks as the spaces around their text. */
function expandMarkers(html: string): string {
  return removeUnwrap(html)
    .replaceAll(`<${HEADING}>`, '<p><strong>')
    .replaceAll(`</${HEADING}>`, '</strong></p>')
    .replaceAll(`<${SPACE}>`, ' ')
    .replaceAll(`</${SPACE}>`, ' ');
}

/**
 * The `content` of a reply from any fediverse server as HTML safe to show under a story.
 *
 * - Tags: `p br a span strong b em i del s code pre blockquote ul ol li`. Headings `h1`–`h6`
 *   become `<p><strong>…</strong></p>` and `strike` becomes `del`. `script`, `style`,
 *   `template`, `noscript`, `iframe`, `object`, `embed`, `svg`, `math`, `textarea`, `select`
 *   and other raw-text elements are dropped with their content; any other tag (`img`, `video`,
 *   `table`, `div`, `u`, `small`, `details`, …) is unwrapped and its text kept, block elements
 *   with a space on either side. Comments and CDATA are dropped.
 * - Links keep only absolute `http:`/`https:` targets (however the input spells or encodes the
 *   scheme); relative, protocol-relative, `mailto:`, `javascript:`, `data:` and any other
 *   targets are unwrapped, their text kept. Every link gets `rel="nofollow ugc noopener"` and
 *   `target="_blank"`.
 * - Attributes: `a[href class]`, `span[class]` and `ol[start]` (a number) only. Classes are
 *   those Mastodon-compatible readers rely on: `h-card u-url mention hashtag` on links,
 *   `h-card invisible ellipsis` on spans; every other class, `style`, `on*`, `data-*` and
 *   anything else is dropped.
 * - A block inside a paragraph, a link inside a link and a list item directly inside a list
 *   item are unwrapped, so browsers build the tree we wrote; paragraphs without text are
 *   removed; control characters are removed (a NUL would also fail in Postgres); the result is
 *   trimmed.
 *
 * Deterministic and idempotent: sanitizing the output again returns it unchanged. Length is not
 * limited here; cutting HTML would break that promise, so callers limit the input.
 */
export function sanitizeCommentHtml(html: string): string {
  const normalized = expandMarkers(sanitizeHtml(html, NORMALIZE_OPTIONS));
  return removeUnwrap(sanitizeHtml(normalized, enforceOptions())).trim();
}

/** Largest plain text of a comment, in Unicode code points, the "…" of a cut included. */
export const COMMENT_TEXT_MAX_CHARS = 10_000;

// Markers of the plain-text pass.
const BLOCK = 'comment-block';
const ITEM = 'comment-item';
const BREAK = 'comment-break';
const ELLIPSIS = 'comment-ellipsis';

/** HTML whitespace: what a browser collapses outside `pre`. */
const HTML_WHITESPACE = /[\t\n\f\r ]+/g;

/**
 * The plain-text pass over sanitized HTML: blocks and items as markers, Mastodon's invisible
 * spans dropped with their text (kept as `span.invisible` until the filter removes them),
 * ellipsis spans marked, other tags unwrapped, whitespace outside `pre` collapsed as a browser
 * does.
 */
function textOptions(): sanitizeHtml.IOptions {
  let pre = 0;
  const classes = (attribs: Attributes): string[] => (attribs.class ?? '').split(/\s+/);
  return {
    allowedTags: ['span', BLOCK, ITEM, BREAK, ELLIPSIS, UNWRAP],
    allowedAttributes: { span: ['class'] },
    allowedClasses: { span: ['invisible'] },
    disallowedTagsMode: 'discard',
    nonTextTags: [],
    selfClosing: [BREAK],
    onOpenTag: (name) => {
      if (name === 'pre') pre++;
    },
    onCloseTag: (name) => {
      if (name === 'pre') pre--;
    },
    transformTags: {
      ...Object.fromEntries(['p', 'pre', 'blockquote', 'ul', 'ol'].map((t) => [t, rename(BLOCK)])),
      li: rename(ITEM),
      br: rename(BREAK),
      span: (_tagName, attribs) => {
        if (classes(attribs).includes('invisible')) {
          return { tagName: 'span', attribs: { class: 'invisible' } };
        }
        return classes(attribs).includes('ellipsis')
          ? { tagName: ELLIPSIS, attribs: {} }
          : unwrap();
      },
    },
    textFilter: (text) => (pre > 0 ? text : text.replace(HTML_WHITESPACE, ' ')),
    exclusiveFilter: (frame) => frame.tag === 'span' && frame.attribs.class === 'invisible',
  };
}

const TEXT_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/** `text` cut to at most `max` code points, the "…" included, without splitting a pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const points: string[] = [];
  for (const point of text) {
    points.push(point);
    if (points.length > max) break;
  }
  if (points.length <= max) return text;
  return `${points
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}

/**
 * The text of a reply, for notifications and search: the HTML is sanitized as by
 * {@link sanitizeCommentHtml}, then read as a browser shows it.
 *
 * - Paragraphs, quotes, code blocks and lists are separated by a blank line, list items by a
 *   line break; `br` is a line break. No more than one blank line in a row.
 * - Mastodon's shortened links read as shown: `invisible` spans are left out and an `ellipsis`
 *   span is followed by "…".
 * - Entities are decoded; the result is not HTML and must be escaped where it is shown as such.
 * - Runs of spaces (tabs, no-break spaces and, outside `pre`, line breaks in the source) become
 *   one space; lines are trimmed, and so is the whole text. Code blocks keep their line breaks,
 *   not their indentation.
 * - At most {@link COMMENT_TEXT_MAX_CHARS} code points: longer text is cut and ends with "…".
 */
export function commentPlainText(html: string): string {
  const marked = sanitizeHtml(sanitizeCommentHtml(html), textOptions());
  const text = marked
    .replaceAll(`<${BLOCK}>`, '\n\n')
    .replaceAll(`</${BLOCK}>`, '\n\n')
    .replaceAll(`<${ITEM}>`, '\n')
    .replaceAll(`</${ITEM}>`, '')
    .replaceAll(`<${BREAK} />`, '\n')
    .replaceAll(`<${ELLIPSIS}>`, '')
    .replaceAll(`</${ELLIPSIS}>`, '…')
    .replaceAll(`<${UNWRAP}>`, '')
    .replaceAll(`</${UNWRAP}>`, '')
    // sanitize-html decodes every entity and re-escapes only &, < and > in text; undo those.
    .replace(/&(amp|lt|gt);/g, (_match, name: string) => TEXT_ENTITIES[name] ?? '')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return truncate(text, COMMENT_TEXT_MAX_CHARS);
}
