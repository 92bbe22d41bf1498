import sanitizeHtml from 'sanitize-html';
import { isHttpUrl, resolveUrl } from './links.js';

// Feed HTML is rewritten surgically: a small tokenizer that follows the HTML tokenizer's rules
// for tags, attributes, comments and raw-text elements finds start tags, and only the tags we
// change are re-emitted. Everything else stays byte-for-byte as the publisher wrote it (no
// re-serialization, no entity normalization): this is not the sanitizer, the renderer that
// publishes the content sanitizes it later.

/** One attribute of a start tag as written. */
interface RawAttribute {
  /** Lower-cased name. */
  readonly name: string;
  /** The value as written, entities not decoded, without quotes; null when there is no `=`. */
  readonly raw: string | null;
  /** The quote character around the value, or '' when unquoted or absent. */
  readonly quote: string;
  /** Offsets in the source of the value including its quotes (equal when there is no value). */
  readonly valueStart: number;
  readonly valueEnd: number;
}

/** A start tag as written: `html.slice(start, end)` is the whole tag. */
interface RawStartTag {
  /** Lower-cased name. */
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly attributes: readonly RawAttribute[];
}

/** Elements whose content the HTML tokenizer does not parse as markup. */
const RAW_TEXT_ELEMENTS = new Set([
  'script',
  'style',
  'textarea',
  'title',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
  'noscript',
]);

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isHtmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

/**
 * Reads the tag whose `<` is at `lt` (a start or end tag: pass the offset of the name). Returns
 * the offset after its `>` and its attributes, or null when the input ends inside the tag.
 */
function readTag(
  html: string,
  nameStart: number,
): { name: string; end: number; attributes: RawAttribute[] } | null {
  const length = html.length;
  let i = nameStart;
  while (i < length) {
    const c = html.charCodeAt(i);
    if (isHtmlSpace(c) || c === 0x2f || c === 0x3e) break; // '/', '>'
    i++;
  }
  const name = html.slice(nameStart, i).toLowerCase();
  const attributes: RawAttribute[] = [];
  for (;;) {
    while (i < length && (isHtmlSpace(html.charCodeAt(i)) || html.charCodeAt(i) === 0x2f)) i++;
    if (i >= length) return null;
    if (html.charCodeAt(i) === 0x3e) return { name, end: i + 1, attributes };
    // Attribute name: the first character may be '=', later ones end at '='.
    const attrStart = i;
    i++;
    while (i < length) {
      const c = html.charCodeAt(i);
      if (isHtmlSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
      i++;
    }
    const attrName = html.slice(attrStart, i).toLowerCase();
    let j = i;
    while (j < length && isHtmlSpace(html.charCodeAt(j))) j++;
    if (j >= length || html.charCodeAt(j) !== 0x3d) {
      attributes.push({ name: attrName, raw: null, quote: '', valueStart: i, valueEnd: i });
      continue;
    }
    j++;
    while (j < length && isHtmlSpace(html.charCodeAt(j))) j++;
    if (j >= length) return null;
    const q = html[j];
    if (q === '"' || q === "'") {
      const close = html.indexOf(q, j + 1);
      if (close < 0) return null;
      attributes.push({
        name: attrName,
        raw: html.slice(j + 1, close),
        quote: q,
        valueStart: j,
        valueEnd: close + 1,
      });
      i = close + 1;
    } else {
      let k = j;
      while (k < length && !isHtmlSpace(html.charCodeAt(k)) && html.charCodeAt(k) !== 0x3e) k++;
      attributes.push({
        name: attrName,
        raw: html.slice(j, k),
        quote: '',
        valueStart: j,
        valueEnd: k,
      });
      i = k;
    }
  }
}

/**
 * Calls `visit` for every start tag of `html`, in document order, and splices in what it returns
 * in place of the tag (`''` removes it, `undefined` keeps it). Comments, doctypes, end tags and
 * the content of raw-text elements (`script`, `style`, `textarea`, `iframe`, …) are skipped and
 * kept; a tag left open at the end of the input is kept as text.
 */
function rewriteStartTags(html: string, visit: (tag: RawStartTag) => string | undefined): string {
  const length = html.length;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < length) {
    const lt = html.indexOf('<', i);
    if (lt < 0 || lt + 1 >= length) break;
    const next = html.charCodeAt(lt + 1);
    if (html.startsWith('<!--', lt)) {
      if (html.startsWith('<!-->', lt)) i = lt + 5;
      else if (html.startsWith('<!--->', lt)) i = lt + 6;
      else {
        const close = html.indexOf('-->', lt + 4);
        i = close < 0 ? length : close + 3;
      }
      continue;
    }
    if (next === 0x21 || next === 0x3f) {
      // '<!' (doctype, CDATA, bogus comment) and '<?': up to the next '>'.
      const close = html.indexOf('>', lt + 2);
      i = close < 0 ? length : close + 1;
      continue;
    }
    if (next === 0x2f) {
      if (lt + 2 < length && isAsciiLetter(html.charCodeAt(lt + 2))) {
        const endTag = readTag(html, lt + 2);
        i = endTag === null ? length : endTag.end;
      } else {
        const close = html.indexOf('>', lt + 2);
        i = close < 0 ? length : close + 1;
      }
      continue;
    }
    if (!isAsciiLetter(next)) {
      i = lt + 1;
      continue;
    }
    const read = readTag(html, lt + 1);
    if (read === null) break;
    const replacement = visit({
      name: read.name,
      start: lt,
      end: read.end,
      attributes: read.attributes,
    });
    if (replacement !== undefined) {
      out += html.slice(copied, lt) + replacement;
      copied = read.end;
    }
    i = read.end;
    if (read.name === 'plaintext') break;
    if (RAW_TEXT_ELEMENTS.has(read.name)) {
      const closer = new RegExp(`</${read.name}(?=[\\s/>])`, 'gi');
      closer.lastIndex = i;
      const match = closer.exec(html);
      i = match === null ? length : match.index;
    }
  }
  return copied === 0 ? html : out + html.slice(copied);
}

/** The first attribute named `name` (HTML ignores later duplicates). */
function attribute(tag: RawStartTag, name: string): RawAttribute | undefined {
  return tag.attributes.find((a) => a.name === name);
}

/**
 * An attribute value with character references decoded as a browser would in attribute context
 * (full entity table, via htmlparser2 inside sanitize-html). Only values containing `&` pay for
 * the parse.
 */
function decodeAttribute(attr: RawAttribute): string {
  const raw = attr.raw ?? '';
  if (!raw.includes('&')) return raw;
  let decoded = raw;
  const q = attr.quote === '' ? '"' : attr.quote;
  const source = attr.quote === '' ? raw.replace(/"/g, '&quot;') : raw;
  sanitizeHtml(`<a v=${q}${source}${q}>`, {
    allowedTags: [],
    onOpenTag: (_name, attribs) => {
      decoded = attribs.v ?? raw;
    },
  });
  return decoded;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

/**
 * A width/height attribute in pixels, read as HTML does ("rules for parsing dimension values":
 * leading digits count, trailing garbage is ignored, a `%` makes it relative); null when absent,
 * relative or unreadable.
 */
function dimensionAttribute(tag: RawStartTag, name: string): number | null {
  const attr = attribute(tag, name);
  if (attr?.raw == null) return null;
  const match = /^[\t\n\f\r ]*(\d+(?:\.\d+)?)(%?)/.exec(attr.raw);
  if (match?.[1] === undefined || match[2] === '%') return null;
  return Number(match[1]);
}

/** A width/height declaration of the inline style in pixels (unitless 0 too), or null. */
function dimensionStyle(tag: RawStartTag, property: 'width' | 'height'): number | null {
  const style = attribute(tag, 'style');
  if (style?.raw == null) return null;
  let value: number | null = null;
  for (const declaration of decodeAttribute(style).split(';')) {
    const match =
      /^\s*([a-z-]+)\s*:\s*(\d+(?:\.\d+)?|\.\d+)\s*(px)?\s*(?:!\s*important\s*)?$/i.exec(
        declaration,
      );
    if (match?.[1]?.toLowerCase() !== property || match[2] === undefined) continue;
    const number = Number(match[2]);
    // Later declarations win, as in CSS; a unitless non-zero length is invalid and ignored.
    if (match[3] !== undefined || number === 0) value = number;
  }
  return value;
}

function isMediumStatUrl(src: string): boolean {
  let url: URL;
  try {
    url = new URL(src.trim(), 'https://invalid.invalid/');
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase();
  return (host === 'medium.com' || host.endsWith('.medium.com')) && url.pathname === '/_/stat';
}

/** Whether an `<img>` is a tracking pixel (see {@link removeTrackingPixels}). `src` is decoded. */
function isTrackingPixel(tag: RawStartTag, src: string | null): boolean {
  if (src !== null && /^(?:https?:)?\/\//i.test(src.trim()) && isMediumStatUrl(src)) return true;
  const width = dimensionStyle(tag, 'width') ?? dimensionAttribute(tag, 'width');
  const height = dimensionStyle(tag, 'height') ?? dimensionAttribute(tag, 'height');
  return width !== null && height !== null && width <= 1 && height <= 1;
}

function imgSrc(tag: RawStartTag): string | null {
  const src = attribute(tag, 'src');
  return src?.raw == null ? null : decodeAttribute(src);
}

/**
 * `html` without tracking pixels: every `<img>` whose width and height (inline style
 * `width`/`height` in px, else the `width`/`height` attributes) are both ≤ 1, and every `<img>`
 * loading Medium's view counter (`/_/stat` on medium.com). Everything else is kept byte-for-byte.
 */
export function removeTrackingPixels(html: string): string {
  return rewriteStartTags(html, (tag) =>
    tag.name === 'img' && isTrackingPixel(tag, imgSrc(tag)) ? '' : undefined,
  );
}

/** Attributes holding one URL, made absolute by {@link prepareContent}. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'poster', 'cite']);

/**
 * `srcset` with each candidate's URL resolved against `base`, split as HTML does: a URL is a run
 * of non-whitespace (commas inside it belong to it, trailing ones end the candidate), descriptors
 * run to the next comma outside parentheses. Separators and descriptors are kept as written.
 */
function resolveSrcset(srcset: string, base: string): string {
  const length = srcset.length;
  let out = '';
  let i = 0;
  while (i < length) {
    const separatorStart = i;
    while (i < length && /[\s,]/.test(srcset.charAt(i))) i++;
    out += srcset.slice(separatorStart, i);
    if (i >= length) break;
    const urlStart = i;
    while (i < length && !/\s/.test(srcset.charAt(i))) i++;
    const word = srcset.slice(urlStart, i);
    const url = word.replace(/,+$/, '');
    out += resolveUrl(url, base) + word.slice(url.length);
    if (url.length < word.length) continue;
    const descriptorStart = i;
    let depth = 0;
    for (; i < length; i++) {
      const c = srcset.charAt(i);
      if (c === '(') depth++;
      else if (c === ')') depth = Math.max(0, depth - 1);
      else if (c === ',' && depth === 0) break;
    }
    out += srcset.slice(descriptorStart, i);
  }
  return out;
}

/** Content HTML ready for storage, and the image that may serve as cover. */
export interface PreparedContent {
  readonly html: string;
  /** The first `<img>` left, when its `src` is an absolute http(s) URL. */
  readonly firstImage: { readonly url: string; readonly alt: string } | null;
}

/**
 * Removes tracking pixels, makes relative `href`/`src`/`poster`/`cite`/`srcset` URLs absolute
 * against `base` (when given), and finds the first image, in one pass. Tags it does not change
 * are kept byte-for-byte; changed attributes are re-emitted double-quoted.
 */
export function prepareContent(html: string, base: string | null): PreparedContent {
  let firstImage: PreparedContent['firstImage'] = null;
  const out = rewriteStartTags(html, (tag) => {
    let src: string | null = null;
    if (tag.name === 'img') {
      src = imgSrc(tag);
      const resolved = src === null ? null : resolveUrl(src, base);
      if (isTrackingPixel(tag, resolved)) return '';
      if (firstImage === null && resolved !== null && isHttpUrl(resolved)) {
        const alt = attribute(tag, 'alt');
        firstImage = {
          url: resolved,
          alt: alt?.raw == null ? '' : htmlToText(decodeAttribute(alt)),
        };
      }
    }
    if (base === null) return undefined;
    const seen = new Set<string>();
    let rebuilt = '';
    let copied = tag.start;
    let changed = false;
    for (const attr of tag.attributes) {
      if (attr.raw === null || seen.has(attr.name)) continue;
      seen.add(attr.name);
      const isUrl = URL_ATTRIBUTES.has(attr.name);
      if (!isUrl && attr.name !== 'srcset') continue;
      const value = attr.name === 'src' && src !== null ? src : decodeAttribute(attr);
      const resolved = isUrl ? resolveUrl(value, base) : resolveSrcset(value, base);
      if (resolved === value || resolved === value.trim()) continue;
      rebuilt += `${html.slice(copied, attr.valueStart)}"${escapeAttribute(resolved)}"`;
      copied = attr.valueEnd;
      changed = true;
    }
    return changed ? rebuilt + html.slice(copied, tag.end) : undefined;
  });
  return { html: out, firstImage };
}

/** Tags that start or end a block of text: in plain text they separate words. */
const BLOCK_TAG =
  /<(\/?)(p|div|br|hr|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|figure|figcaption|table|tr|td|th|section|article|header|footer|aside)(?=[\s/>])/gi;

/** Block tags and links: the units a members-only marker stands alone in. */
const MARKER_BOUNDARY_TAG =
  /<(\/?)(a|p|div|br|hr|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|figure|figcaption|table|tr|td|th|section|article|header|footer|aside)(?=[\s/>])/gi;

const TEXT_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [],
  allowedAttributes: {},
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'template', 'iframe', 'title'],
};

/** The text of `html` with a newline before every tag `boundary` matches; entities decoded. */
function textWithBreaks(html: string, boundary: RegExp): string {
  if (!/[<&]/.test(html)) return html;
  // sanitize-html decodes every entity and re-escapes only &, < and > in text; undo those.
  return sanitizeHtml(html.replace(boundary, '\n<$1$2'), TEXT_OPTIONS).replace(
    /&(amp|lt|gt);/g,
    (_m, name: string) => (name === 'amp' ? '&' : name === 'lt' ? '<' : '>'),
  );
}

/**
 * `html` as plain text: tags stripped (script/style/iframe content dropped), character references
 * decoded, runs of whitespace (nbsp and block boundaries included) collapsed to one space,
 * trimmed.
 */
export function htmlToText(html: string): string {
  return textWithBreaks(html, BLOCK_TAG).replace(/\s+/g, ' ').trim();
}

/** "Continue reading on <name> »" (› and >> too) at the end of the text. */
const MARKER_WITH_ARROW =
  /(?:^|[^\p{L}\p{N}])continue\s+reading\s+on\s+[^\n]{1,100}?\s*(?:»|›|>>)$/iu;
/** "Continue reading on <name>" alone in the last block or link. */
const MARKER_ALONE = /(?:^|\n)continue\s+reading\s+on\s+[^\n]{1,100}$/iu;

/**
 * Whether `html` is a members-only preview: it ends with Medium's "Continue reading on Medium »"
 * / "Continue reading on <Publication> »" marker, as a link or as text, case-insensitive,
 * whatever the whitespace (nbsp included). Without the », the marker must stand alone in the
 * last paragraph or link, so a story that merely ends with those words is not taken for one.
 */
export function isMembersOnlyPreview(html: string): boolean {
  if (!/continue/i.test(html)) return false;
  const text = textWithBreaks(html, MARKER_BOUNDARY_TAG)
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n\s*/g, '\n')
    .trim();
  return MARKER_WITH_ARROW.test(text) || MARKER_ALONE.test(text);
}
