import render from 'dom-serializer';
import { type AnyNode, isCDATA, isComment, isTag } from 'domhandler';
import { parseDocument } from 'htmlparser2';

/** The tags sanitizeArticleHtml documents (FEP-b2b8's list): the only markup it may emit. */
export const ARTICLE_TAGS = [
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
] as const;

/** The tags sanitizeCommentHtml documents: the only markup it may emit. */
export const COMMENT_TAGS = [
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
] as const;

/** Elements no sanitized output may contain. */
export const FORBIDDEN_ELEMENTS = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'template',
  'form',
  'input',
  'base',
  'meta',
  'link',
  'frame',
  'frameset',
  'applet',
  'noscript',
  'xmp',
  'title',
  'plaintext',
]);

/** Attributes that hold a URL a browser loads or navigates to. */
export const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'srcset',
  'poster',
  'action',
  'formaction',
  'xlink:href',
  'cite',
  'background',
  'data',
  'codebase',
  'lowsrc',
  'dynsrc',
  'ping',
]);

const DANGEROUS_SCHEMES = ['javascript:', 'vbscript:', 'data:'];

/**
 * A URL as a browser reads its scheme: entities already decoded by the parser, then every
 * whitespace and control character removed (browsers strip them around and, for tab and
 * newlines, inside the scheme), lower-cased.
 */
function schemeView(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, '').toLowerCase();
}

function urlProblem(name: string, value: string): string | null {
  const candidates = name === 'srcset' ? value.split(',') : [value];
  for (const candidate of candidates) {
    const view = schemeView(candidate);
    const scheme = DANGEROUS_SCHEMES.find((s) => view.startsWith(s));
    if (scheme !== undefined) return `${name}=${JSON.stringify(value)} is a ${scheme} URL`;
  }
  return null;
}

/** Where a parsed tree breaks the safety property: forbidden elements, handlers, bad URLs. */
function treeProblems(nodes: readonly AnyNode[], out: string[]): void {
  for (const node of nodes) {
    if (isComment(node)) out.push(`comment <!--${node.data}-->`);
    if (isCDATA(node)) out.push('CDATA section');
    if (!isTag(node)) continue;
    const name = node.name.toLowerCase();
    if (FORBIDDEN_ELEMENTS.has(name)) out.push(`element <${name}>`);
    for (const [rawName, value] of Object.entries(node.attribs)) {
      const attr = rawName.toLowerCase();
      if (attr.startsWith('on')) out.push(`event handler ${attr}=${JSON.stringify(value)}`);
      if (attr === 'style') out.push(`style=${JSON.stringify(value)}`);
      if (attr === 'srcdoc') out.push('srcdoc attribute');
      if (URL_ATTRIBUTES.has(attr)) {
        const problem = urlProblem(attr, value);
        if (problem !== null) out.push(problem);
      }
    }
    treeProblems(node.children, out);
  }
}

/** Parses `html` as htmlparser2 does by default (entities decoded, names lower-cased). */
function problemsOf(html: string): string[] {
  const out: string[] = [];
  treeProblems(parseDocument(html).children, out);
  return out;
}

/**
 * Every way `html` breaks the property "no script, no event handler, no dangerous URL": checked
 * on the parse of `html` and again on the parse of that tree re-serialized (a mutation-XSS
 * round trip: markup that only turns dangerous once a DOM is written back out). Lexically,
 * every `<` must open or close one of `allowedTags` (no comment, CDATA, doctype or processing
 * instruction that a browser and htmlparser2 could tokenize differently). Empty when safe.
 */
export function unsafeParts(html: string, allowedTags: readonly string[]): string[] {
  const problems = problemsOf(html);
  const reserialized = render(parseDocument(html));
  for (const p of problemsOf(reserialized)) problems.push(`after a DOM round trip: ${p}`);
  const tag = new RegExp(`^</?(?:${allowedTags.join('|')})[\\s/>]`);
  for (let i = html.indexOf('<'); i >= 0; i = html.indexOf('<', i + 1)) {
    if (!tag.test(html.slice(i, i + 40))) {
      problems.push(
        `markup outside the allowlist at ${i}: ${JSON.stringify(html.slice(i, i + 40))}`,
      );
    }
  }
  return problems;
}
