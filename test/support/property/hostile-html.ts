import type { Random } from './random.js';

/**
 * A generator of hostile HTML for sanitizer properties: random trees of allowed and forbidden
 * elements, event handlers in many casings, URL attributes carrying `javascript:`, `vbscript:`
 * and `data:` disguised by case, whitespace, control characters and character references,
 * broken markup (unclosed tags, stray `<`, bogus comments, CDATA, mismatched quotes), known
 * mutation-XSS shapes, and text in many scripts. Written for this project; no corpus is copied.
 */

/** Elements both sanitizers keep (some with attributes). */
const ALLOWED = [
  'p',
  'span',
  'br',
  'a',
  'del',
  's',
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
];

/** Elements that must never come out. */
const FORBIDDEN = [
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'template',
  'noscript',
  'xmp',
  'title',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'base',
  'meta',
  'link',
  'frame',
  'frameset',
  'applet',
  'noembed',
  'noframes',
  'plaintext',
  'head',
  'body',
  'html',
];

/** Elements that are kept, unwrapped or rewritten depending on the sanitizer and attributes. */
const OTHER = [
  'img',
  'video',
  'audio',
  'source',
  'picture',
  'div',
  'section',
  'figure',
  'figcaption',
  'h1',
  'h2',
  'h3',
  'h6',
  'hr',
  'table',
  'tr',
  'td',
  'details',
  'summary',
  'ruby',
  'rp',
  'strike',
  'mglyph',
  'malignmark',
  'foreignobject',
  'annotation-xml',
  'desc',
  'animate',
  'set',
  'use',
  'image',
  'isindex',
  'keygen',
  'marquee',
  'x-custom',
  // The sanitizers' own marker names: input using them must not smuggle anything through.
  'bridge-heading',
  'bridge-drop',
  'bridge-unwrap',
  'comment-unwrap',
  'comment-space',
  'comment-heading',
];

const VOID = new Set(['br', 'img', 'input', 'source', 'hr', 'meta', 'link', 'base', 'embed']);

const HANDLERS = [
  'onclick',
  'onload',
  'onerror',
  'onmouseover',
  'onfocus',
  'onanimationstart',
  'onbegin',
  'onpointerenter',
  'ontoggle',
  'on',
  'onx',
];

const URL_ATTRIBUTES = [
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
];

const PLAIN_ATTRIBUTES = [
  'class',
  'id',
  'alt',
  'title',
  'width',
  'height',
  'start',
  'rel',
  'target',
  'lang',
  'dir',
  'name',
  'controls',
  'autoplay',
  'data-x',
  'is',
];

const CLASSES = [
  'h-card',
  'mention',
  'hashtag',
  'u-url',
  'invisible',
  'ellipsis',
  'language-js',
  'evil',
];

const PAYLOADS = [
  'alert(1)',
  'alert`1`',
  '//%0aalert(1)',
  'eval(atob("YWxlcnQoMSk="))',
  'void(0)',
  '%61lert(1)',
];

const DATA_PAYLOADS = [
  'text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'text/html,<script>alert(1)</script>',
  'image/svg+xml,<svg onload=alert(1)>',
  'image/png;base64,iVBORw0KGgo=',
  'image/gif;base64,R0lGODlhAQABAAAAACw=',
];

const SAFE_URLS = [
  'https://example.com/a?b=1&c=2',
  'http://example.org/x y',
  '/relative/path',
  'relative',
  '../up',
  '//cdn.example/img.png',
  '#frag',
  '?q=1',
  'mailto:ada@example.com',
  'https://medium.com/_/stat?event=x',
  'https://xn--bcher-kva.example/ü',
  'HTTPS://EXAMPLE.COM/UPPER',
  'ftp://example.com/file',
  'https:example.com',
  ' https://example.com/padded ',
  'https://example.com/javascript:alert(1)',
  'https://javascript.example/data:x',
  './javascript:alert(1)',
  'https://example.com/a.mp4?x=&quot;&gt;',
  '',
  ' ',
];

/** Characters a browser strips or skips around or inside a scheme. */
const SCHEME_NOISE = ['\t', '\n', '\r', '\0', '\x01', '\x1f', ' ', '\f', '\v', '\u00a0'];

/** A character as a character reference, in one of the forms a parser decodes. */
function reference(random: Random, char: string): string {
  const code = char.codePointAt(0) ?? 0;
  switch (random.int(0, 5)) {
    case 0:
      return `&#${code};`;
    case 1:
      return `&#x${code.toString(16)};`;
    case 2:
      return `&#X${code.toString(16).toUpperCase()};`;
    case 3:
      return `&#${'0'.repeat(random.int(1, 7))}${code}`; // no semicolon, leading zeros
    case 4:
      return `&#x${'0'.repeat(random.int(1, 5))}${code.toString(16)}`;
    default: {
      const named: Record<string, string> = {
        ':': '&colon;',
        '\t': '&Tab;',
        '\n': '&NewLine;',
        '(': '&lpar;',
        ')': '&rpar;',
        '/': '&sol;',
        '.': '&period;',
      };
      return named[char] ?? `&#${code};`;
    }
  }
}

/** `text` with each character possibly case-flipped, noised or written as a reference. */
function disguise(random: Random, text: string, intensity: number): string {
  let out = '';
  for (const char of text) {
    let c = random.chance(0.5) ? char.toUpperCase() : char.toLowerCase();
    if (random.chance(intensity)) c = reference(random, c);
    out += c;
    if (random.chance(intensity / 2)) out += random.pick(SCHEME_NOISE);
  }
  return out;
}

/** A URL: mostly dangerous schemes in disguise, sometimes a harmless one. */
export function hostileUrl(random: Random): string {
  if (random.chance(0.35)) return random.pick(SAFE_URLS);
  const scheme = random.pick(['javascript', 'vbscript', 'data', 'javascript', 'livescript']);
  const payload =
    scheme === 'data'
      ? random.pick(DATA_PAYLOADS)
      : scheme === 'vbscript'
        ? 'msgbox(1)'
        : random.pick(PAYLOADS);
  const intensity = random.pick([0, 0.1, 0.3, 0.7]);
  const lead = random.chance(0.4)
    ? random.repeat(random.int(1, 3), () => random.pick(SCHEME_NOISE))
    : '';
  const colon = random.chance(intensity) ? reference(random, ':') : ':';
  return `${lead}${disguise(random, scheme, intensity)}${colon}${payload}`;
}

function srcset(random: Random): string {
  return random.repeat(
    random.int(1, 3),
    () => `${hostileUrl(random)} ${random.pick(['1x', '2x', '100w', ''])}`,
    random.pick([', ', ',', ' ,\n']),
  );
}

function styleValue(random: Random): string {
  return random.pick([
    `background:url(${hostileUrl(random)})`,
    'width: 1px; height: 1px',
    'width:expression(alert(1))',
    'behavior:url(x.htc)',
    '-moz-binding:url(http://x/#xss)',
    `background-image: url("${hostileUrl(random)}")`,
    'color:red',
  ]);
}

function attributeName(random: Random): string {
  switch (random.int(0, 5)) {
    case 0:
    case 1:
      return disguise(random, random.pick(HANDLERS), 0).replace(/\s/g, '');
    case 2:
    case 3:
      return random.pick(URL_ATTRIBUTES);
    case 4:
      return random.pick(PLAIN_ATTRIBUTES);
    default:
      return random.pick(['style', 'STYLE', 'xmlns', 'xmlns:xlink', 'srcdoc', 'formaction']);
  }
}

function attributeValue(random: Random, name: string): string {
  const lower = name.toLowerCase();
  if (lower.startsWith('on')) return random.pick(PAYLOADS);
  if (lower === 'srcset') return srcset(random);
  if (lower === 'style') return styleValue(random);
  if (lower === 'class') return random.repeat(random.int(1, 3), () => random.pick(CLASSES), ' ');
  if (lower === 'width' || lower === 'height' || lower === 'start') {
    return random.pick(['1', '0', '1px', ' 2 ', '100', '-3', 'x', '99999999']);
  }
  if (lower === 'srcdoc') return '<script>alert(1)</script>';
  if (URL_ATTRIBUTES.includes(lower) || lower === 'formaction') return hostileUrl(random);
  return random.pick(['x', '', '"', "'", '<b>', '&amp;', 'a b', '></p><script>alert(1)</script>']);
}

/** An attribute with its separator, quoted in one of the ways parsers accept (or choke on). */
function attribute(random: Random): string {
  const name = attributeName(random);
  const value = attributeValue(random, name);
  const separator = random.pick([' ', ' ', '\n', '\t', '/', ' / ']);
  switch (random.int(0, 6)) {
    case 0:
    case 1:
    case 2:
      return `${separator}${name}="${value.replace(/"/g, '&quot;')}"`;
    case 3:
      return `${separator}${name}='${value.replace(/'/g, '&#39;')}'`;
    case 4:
      return `${separator}${name}=${value.replace(/[\s>"'`=<]/g, '')}`;
    case 5:
      return `${separator}${name}`;
    default:
      // Mismatched or unterminated quoting.
      return `${separator}${name}=${random.pick(['"', "'", '`'])}${value}${random.pick(['', "'", '"'])}`;
  }
}

const TEXTS = [
  'plain text',
  'Ünïcödé',
  '日本語のテキスト',
  'مرحبا بالعالم',
  '👩‍💻🚀🏳️‍🌈',
  '5 < 6 & 7 > 3',
  '&amp; &lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;script&#62;',
  '&lt;img src=x onerror=alert(1)&gt;',
  'javascript:alert(1)',
  '\u00a0\u200b\u2028\u2029',
  '\u202e reversed',
  '\0nul\x01\x7f',
  '\r\n\r\n',
  '  ',
  '<',
  '</',
  '<<',
  '< b>',
  '&',
  '&#',
  '&#x;',
  '&unknown;',
  '"\'`',
  '-->',
  ']]>',
];

function text(random: Random): string {
  return random.repeat(random.int(1, 3), () => random.pick(TEXTS), random.pick([' ', '', '\n']));
}

/** Fragments that break the tokenizer's assumptions: comments, CDATA, stray and split tags. */
const BROKEN = [
  '<!-- comment -->',
  '<!-- <script>alert(1)</script> -->',
  '<!-- --!><img src=x onerror=alert(1)>',
  '<!--><img src=x onerror=alert(1)>-->',
  '<!---><script>alert(1)</script>',
  '<!--',
  '--!>',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<![CDATA[x',
  '<?xml version="1.0"?>',
  '<?php echo 1 ?>',
  '<!DOCTYPE html>',
  '<!x>',
  '</p>',
  '</a>',
  '</script>',
  '</ script>',
  '</script x>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>alert(1)//<</script>',
  '<script/x>alert(1)</script>',
  '<script\n>alert(1)</script\n>',
  '<SCRIPT SRC=//x.example/x.js></SCRIPT>',
  '<script>alert(1)',
  '<style>*{background:url(javascript:alert(1))}</style>',
  '<img src=x onerror=alert(1)//',
  '<img src="x` `<script>alert(1)</script>"` `>',
  '<a href="x" <b>',
  '<a href=javascript&colon;alert(1)>x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<svg><style><img src=x onerror=alert(1)></style></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">',
  '<svg><p><style><g title="</style><img src=x onerror=alert(1)>">',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>',
  '<template><script>alert(1)</script></template>',
  '<xmp><script>alert(1)</script></xmp>',
  '<title></title><script>alert(1)</script>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="data:text/html,<script>alert(1)</script>">',
  '<base href="javascript:/">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<input type="image" src=x onerror=alert(1)>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<video><source onerror="alert(1)"></video>',
  '<audio src=x onerror=alert(1)>',
  '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
  '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
  '<plaintext><script>',
  '<p><p><p>',
  '<li><li>',
  '<a><a><a>',
  '<table><a href="javascript:alert(1)">x</a></table>',
  '<',
  '< p>',
  '<p <p>',
  '<a/href="javascript:alert(1)">x</a>',
  '<img/src/onerror=alert(1)>',
  '<p\0onclick=alert(1)>x</p>',
  '<a href="\0javascript:alert(1)">x</a>',
  '\u0000<script>alert(1)</script>',
];

/** Options of {@link hostileHtml}. */
export interface HostileHtmlOptions {
  /** Upper bound of generated elements; keeps a case fast. */
  readonly maxNodes?: number;
  /** Deepest nesting. */
  readonly maxDepth?: number;
}

/** A random hostile HTML fragment. */
export function hostileHtml(random: Random, options: HostileHtmlOptions = {}): string {
  const budget = { nodes: random.int(1, options.maxNodes ?? 40) };
  const maxDepth = options.maxDepth ?? 6;

  const node = (depth: number): string => {
    budget.nodes--;
    const roll = random.next();
    if (roll < 0.25 || depth >= maxDepth || budget.nodes <= 0) return text(random);
    if (roll < 0.38) return random.pick(BROKEN);
    const tagName = random.pick(
      random.chance(0.45) ? ALLOWED : random.chance(0.55) ? FORBIDDEN : OTHER,
    );
    const name = random.chance(0.15) ? disguise(random, tagName, 0) : tagName;
    const attributes = random.repeat(random.int(0, 4), () => attribute(random));
    const open = `<${name}${attributes}${random.pick(['>', '>', '>', ' >', '/>', ' />'])}`;
    if (VOID.has(tagName) && random.chance(0.8)) return open;
    const children = random.repeat(random.int(0, 4), () =>
      budget.nodes > 0 ? node(depth + 1) : '',
    );
    // Sometimes left unclosed, sometimes closed with another case or a stray attribute.
    const close = random.chance(0.15)
      ? ''
      : random.chance(0.1)
        ? `</${name.toUpperCase()} x="y">`
        : `</${name}>`;
    return `${open}${children}${close}`;
  };

  return random.repeat(random.int(1, 5), () => node(0));
}
