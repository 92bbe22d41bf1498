import sanitizeHtml from 'sanitize-html';

/** Tags kept in profile text (bios, publication descriptions). */
const PROFILE_TAGS = [
  'p',
  'br',
  'a',
  'span',
  'strong',
  'b',
  'em',
  'i',
  'u',
  'del',
  'code',
  'ul',
  'ol',
  'li',
  'blockquote',
];

const PROFILE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: PROFILE_TAGS,
  allowedAttributes: { a: ['href', 'rel', 'target'] },
  allowedSchemes: ['http', 'https'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'iframe', 'object'],
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: {
        ...(attribs.href === undefined ? {} : { href: attribs.href }),
        rel: 'nofollow noopener noreferrer',
        target: '_blank',
      },
    }),
  },
};

/** Largest profile text kept, in characters of input. */
export const MAX_PROFILE_HTML = 10_000;

/**
 * Profile text as safe HTML. Input without tags is taken as plain text: escaped, blank lines
 * become paragraphs and single newlines `<br>`. HTML input keeps only {@link PROFILE_TAGS}; links
 * keep http(s) `href`s and get `rel="nofollow noopener noreferrer"`.
 */
export function sanitizeProfileHtml(input: string | null | undefined): string {
  if (input === null || input === undefined) return '';
  const text = input.slice(0, MAX_PROFILE_HTML).trim();
  if (text === '') return '';
  if (!/<[a-z!/]/i.test(text)) return plainTextToHtml(text);
  return sanitizeHtml(text, PROFILE_OPTIONS).trim();
}

/** Escapes plain text into paragraphs. */
export function plainTextToHtml(text: string): string {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((para) => `<p>${escapeHtml(para.trim()).replace(/\r?\n/g, '<br>')}</p>`)
    .join('');
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
