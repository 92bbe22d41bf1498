import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sanitizeHtml from 'sanitize-html';
import {
  absoluteUrl,
  membersOnlyHtml,
  plainTitle,
  sanitizeArticleHtml,
  summaryHtml,
} from './article-html.js';

const BASE = 'https://stories.example/@ann/why-we-left-the-cloud-4f2a';
const REL = 'rel="nofollow noopener noreferrer" target="_blank"';

/** What the output may hold: FEP-b2b8's tags and, per tag, the attributes we keep. */
const ALLOWED: Record<string, readonly string[]> = {
  p: [],
  span: ['class'],
  br: [],
  a: ['href', 'class', 'rel', 'target'],
  del: [],
  pre: [],
  code: ['class'],
  em: [],
  strong: [],
  b: [],
  i: [],
  u: [],
  ul: [],
  ol: [],
  li: [],
  blockquote: [],
  img: ['src', 'alt', 'width', 'height'],
  video: ['src', 'poster', 'controls'],
  audio: ['src', 'controls'],
};

interface ParsedTag {
  readonly name: string;
  readonly attribs: Readonly<Record<string, string>>;
}

/** Every start tag of `html` with its decoded attributes, as htmlparser2 reads them. */
function parseTags(html: string): ParsedTag[] {
  const tags: ParsedTag[] = [];
  sanitizeHtml(html, {
    allowedTags: [],
    onOpenTag: (name, attribs) => {
      tags.push({ name, attribs: { ...attribs } });
    },
  });
  return tags;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters as a reader counts them (grapheme clusters). */
function visibleLength(text: string): number {
  return Array.from(graphemes.segment(text)).length;
}

/** The visible text of one `<p>…</p>` holding only escaped text. */
function paragraphText(html: string): string {
  const match = /^<p>([^<]*)<\/p>$/.exec(html);
  assert.ok(match?.[1] !== undefined, `not one text paragraph: ${html}`);
  return match[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const FORBIDDEN_TAGS = [
  'script',
  'svg',
  'math',
  'iframe',
  'object',
  'embed',
  'style',
  'base',
  'meta',
  'form',
  'template',
  'noscript',
  'link',
  'textarea',
  'xmp',
];

/** Everything the hostile-input corpus must never get through. */
function assertSafe(out: string): void {
  const lower = out.toLowerCase();
  for (const tag of FORBIDDEN_TAGS) assert.ok(!lower.includes(`<${tag}`), `<${tag} in ${out}`);
  // A careful look at the raw tags: text has every `<` escaped, so these are all real tags, and
  // every value is double-quoted with `"` escaped, so without the values only names are left.
  for (const [tag] of out.matchAll(/<[a-z][^>]*>/gi)) {
    const names = tag.replace(/"[^"]*"/g, '""');
    assert.doesNotMatch(names, /[\s/]on[a-z]+\s*=/i, `event handler in ${tag}`);
    assert.doesNotMatch(names, /\s(?:style|srcset|srcdoc|formaction|action|xlink:href)\s*=/i);
    assert.doesNotMatch(names.slice(1), /['`<]/, `unquoted value in ${tag}`);
  }
  // And the same tags as a browser-like parser decodes them.
  for (const { name, attribs } of parseTags(out)) {
    const allowed = ALLOWED[name];
    assert.ok(allowed !== undefined, `<${name}> in ${out}`);
    for (const [attr, value] of Object.entries(attribs)) {
      assert.ok(allowed.includes(attr), `${name}[${attr}] in ${out}`);
      if (attr === 'href' || attr === 'src' || attr === 'poster') {
        assert.doesNotMatch(value, /^\s*(?:javascript|vbscript|data):/i);
        const schemes = attr === 'href' ? /^(?:https?:\/\/|mailto:)/ : /^https?:\/\//;
        assert.match(value, schemes, `${name}[${attr}]=${value}`);
      }
    }
  }
}

/**
 * Hostile input, each a test: scripts, event handlers, URL schemes, foreign content, embedded
 * documents, broken markup and parser-differential (mXSS) shapes.
 */
const XSS: readonly string[] = [
  // <script>, every way round
  '<script>alert(1)</script>',
  '<SCRIPT>alert(1)</SCRIPT>',
  '<ScRiPt src="https://evil.example/x.js"></ScRiPt>',
  '<script><script>alert(1)</script></script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>script>alert(1)<</script>/script>',
  '<p>ok<script>alert(1)',
  '"><script>alert(1)</script>',
  '<script type="text/plain">alert(1)</script>',
  // Event handlers on every kind of tag, odd spacing, quotes and case
  '<img src=x onerror=alert(1)>',
  '<img src="https://ok.example/a.png" ONERROR="alert(1)">',
  "<img src=x onerror  =  'alert(1)'>",
  '<img/src=x/onerror=alert(1)>',
  '<img src=x onerror=alert(1)//',
  '<img src=x\tonerror\n=\nalert(1)>',
  '<body onload=alert(1)><p>x</p></body>',
  '<p onclick="alert(1)">x</p>',
  '<a href="https://ok.example/" onmouseover=alert(1)>x</a>',
  '<a href=https://ok.example/ onclick=alert(1)>x</a>',
  '<span class="mention" OnMouseOver="alert(1)">x</span>',
  '<video src="https://ok.example/v.mp4" onloadstart="alert(1)" onerror=alert(1)></video>',
  '<audio src=x onerror=alert(1)></audio>',
  '<div onpointerenter=alert(1)>x</div>',
  '<details open ontoggle=alert(1)><summary>x</summary></details>',
  '<marquee onstart=alert(1)>x</marquee>',
  '<blockquote onfocus=alert(1) autofocus tabindex=0>x</blockquote>',
  // Dangerous URL schemes, however spelled or encoded
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="&#x6A;avascript:alert(1)">x</a>',
  '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
  '<a href="java&#09;script:alert(1)">x</a>',
  '<a href="java&Tab;script:alert(1)">x</a>',
  '<a href="java\nscript:alert(1)">x</a>',
  '<a href="  \u0001javascript:alert(1)">x</a>',
  '<a href="&#x20;javascript:alert(1)">x</a>',
  '<a href="javascript&colon;alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<img src="javascript:alert(1)">',
  '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
  '<img src="https://ok.example/a.png" srcset="javascript:alert(1) 1x">',
  '<video poster="javascript:alert(1)" src="https://ok.example/v.mp4"></video>',
  '<video poster="data:image/png;base64,AAAA" src="vbscript:x"></video>',
  '<audio src="data:audio/wav;base64,AAAA"></audio>',
  // SVG and MathML
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
  '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
  '<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<math href="javascript:alert(1)">x</math>',
  '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
  // Styles
  '<style>body{background:url(javascript:alert(1))}</style>',
  '<p style="background:url(javascript:alert(1))">x</p>',
  '<div style="width: expression(alert(1))">x</div>',
  '<a href="https://ok.example/" style="position:fixed;inset:0">overlay</a>',
  // Embedded documents and plugins
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<iframe><p>fallback <img src=x onerror=alert(1)></p>',
  '<object data="javascript:alert(1)"></object>',
  '<object data="data:text/html,<script>alert(1)</script>"><param name=x value=y></object>',
  '<embed src="javascript:alert(1)">',
  '<embed src="data:image/svg+xml;base64,PHN2Zz4=" type="image/svg+xml">',
  // Document-level elements
  '<base href="javascript:alert(1)//"><a href="x">x</a>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel=import href="data:text/html,<script>alert(1)</script>">',
  '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
  '<isindex action=javascript:alert(1) type=image>',
  '<input type=image src=x onerror=alert(1)>',
  // Malformed, nested and unclosed markup
  '<a href="javascript:alert(1)"<b>x</b></a>',
  '<a href="https://ok.example/"<img src=x onerror=alert(1)>>x</a>',
  '<p><a href="https://ok.example/">x<p>y<a href=javascript:alert(1)>z',
  '<img src="x\u0000" onerror=alert(1)>',
  '<img """><script>alert(1)</script>">',
  '<plaintext><script>alert(1)</script>',
  // Comments and CDATA hiding tags
  '<!--<script>alert(1)</script>-->',
  '<!--><script>alert(1)</script>-->',
  '<!-- --!><img src=x onerror=alert(1)> -->',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<!--[if IE]><script>alert(1)</script><![endif]-->',
  // noscript, template and raw-text elements (mXSS)
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<noscript><style></noscript><img src=x onerror=alert(1)></style></noscript>',
  '<p><noscript></p><img src=x onerror=alert(1)></noscript>',
  '<template><script>alert(1)</script><img src=x onerror=alert(1)></template>',
  '<textarea></textarea><script>alert(1)</script></textarea>',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<title><img src=x onerror=alert(1)></title>',
  '<select><option><img src=x onerror=alert(1)></option></select>',
  // Attribute injection through unquoted and entity-encoded values
  '<img alt=x" onerror="alert(1) src=https://ok.example/a.png>',
  '<img src=https://ok.example/a.png alt=a onerror=alert(1)>',
  '<img src="https://ok.example/a.png" alt="x&quot; onerror=&quot;alert(1)">',
  '<a href="https://ok.example/?q=&quot;><script>alert(1)</script>">x</a>',
  '<code class="language-js&quot; onclick=&quot;alert(1)">x</code>',
];

describe('sanitizeArticleHtml', () => {
  it('renders a realistic story to the allowlist', () => {
    const story = `<div class="section-inner" style="max-width:700px">
  <h1 class="graf--title">Why we left the cloud</h1>
  <p class="graf" style="font-family: Georgia">It started with a <a href="/@ann/the-bill-9c1e" data-action="show">bill</a>. Then <strong>another</strong> one &amp; another.</p>
  <figure class="graf--figure">
    <img src="/images/racks.jpg" alt="Server racks" width="1200" height="800" srcset="/images/racks-2x.jpg 2x" loading="lazy">
    <figcaption>Our <em>new</em> racks</figcaption>
  </figure>
  <h3>The numbers</h3>
  <pre><code class="language-sql hljs">SELECT month, SUM(cost) FROM bills
WHERE cost &gt; 0 GROUP BY month;</code></pre>
  <blockquote><p>Never again.</p></blockquote>
  <ul><li>Cheaper</li><li>Faster <s>maybe</s></li></ul>
  <ol><li>Buy</li><li>Rack</li></ol>
  <img src="https://medium.com/_/stat?event=post.clientViewed&amp;postId=4f2a" width="1" height="1">
  <img src="https://tracker.example/open.gif" style="width: 1px; height: 1px; border: 0">
  <iframe src="https://www.youtube.com/embed/abc" width="560" height="315" allowfullscreen>fallback</iframe>
  <p><span style="color:red" class="highlight">Read more</span> on <a href="https://ann.example" onclick="track()">my site</a>.</p>
  <p><br></p>
  <hr>
  <p>Thanks for reading.</p>
</div>`;
    const expected = [
      '<p><strong>Why we left the cloud</strong></p>',
      `<p>It started with a <a href="https://stories.example/@ann/the-bill-9c1e" ${REL}>bill</a>. Then <strong>another</strong> one &amp; another.</p>`,
      '<img src="https://stories.example/images/racks.jpg" alt="Server racks" width="1200" height="800" />',
      '<p><em>Our <em>new</em> racks</em></p>',
      '<p><strong>The numbers</strong></p>',
      '<pre><code class="language-sql">SELECT month, SUM(cost) FROM bills',
      'WHERE cost &gt; 0 GROUP BY month;</code></pre>',
      '<blockquote><p>Never again.</p></blockquote>',
      '<ul><li>Cheaper</li><li>Faster <del>maybe</del></li></ul>',
      '<ol><li>Buy</li><li>Rack</li></ol>',
      `<p><span>Read more</span> on <a href="https://ann.example/" ${REL}>my site</a>.</p>`,
      '<p>—</p>',
      '<p>Thanks for reading.</p>',
    ].join('\n');
    const out = sanitizeArticleHtml(story, BASE);
    assert.equal(out, expected);
    assert.equal(sanitizeArticleHtml(story, BASE), out, 'stable');
    assert.equal(sanitizeArticleHtml(out, BASE), out, 'idempotent');
    assertSafe(out);
  });

  it('maps every heading level to a bold paragraph', () => {
    for (const level of [1, 2, 3, 4, 5, 6]) {
      assert.equal(
        sanitizeArticleHtml(`<h${level} id="x">Part <em>two</em></h${level}>`, BASE),
        '<p><strong>Part <em>two</em></strong></p>',
      );
    }
  });

  it('unwraps figures and turns captions into italic paragraphs', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<figure><video src="clip.mp4" autoplay muted loop></video><figcaption>Clip</figcaption></figure>',
        BASE,
      ),
      '<video src="https://stories.example/@ann/clip.mp4" controls></video><p><em>Clip</em></p>',
    );
  });

  it('turns a rule into a dash paragraph, even where a paragraph cannot open', () => {
    assert.equal(sanitizeArticleHtml('<p>a</p><hr><p>b</p>', BASE), '<p>a</p><p>—</p><p>b</p>');
    assert.equal(sanitizeArticleHtml('<h2>a<hr>b</h2>', BASE), '<p><strong>a—b</strong></p>');
  });

  it('unwraps blocks inside paragraphs and links inside links, as a browser would split them', () => {
    assert.equal(
      sanitizeArticleHtml('<h2>Title<p>sub</p><ul><li>x</li></ul></h2>', BASE),
      '<p><strong>Titlesubx</strong></p>',
    );
    assert.equal(
      sanitizeArticleHtml('<a href="/1">x<b><a href="/2">y</a></b></a>', BASE),
      `<a href="https://stories.example/1" ${REL}>x<b>y</b></a>`,
    );
  });

  it('resolves relative and protocol-relative URLs against the story URL', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<p><a href="#notes">notes</a> <a href="../other">other</a> <a href="//cdn.example/x">cdn</a></p>' +
          '<img src="pic.png" alt=""><audio src="//cdn.example/a.mp3"></audio>' +
          '<video src="/v.mp4" poster="poster.jpg"></video>',
        BASE,
      ),
      `<p><a href="${BASE}#notes" ${REL}>notes</a> <a href="https://stories.example/other" ${REL}>other</a> ` +
        `<a href="https://cdn.example/x" ${REL}>cdn</a></p>` +
        '<img src="https://stories.example/@ann/pic.png" alt="" />' +
        '<audio src="https://cdn.example/a.mp3" controls></audio>' +
        '<video src="https://stories.example/v.mp4" poster="https://stories.example/@ann/poster.jpg" controls></video>',
    );
  });

  it('keeps mailto links and unwraps links without a usable target', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<p><a href="mailto:ann@example.com">mail</a> <a>anchor</a> <a href="">empty</a> <a href="tel:+1">tel</a></p>',
        BASE,
      ),
      `<p><a href="mailto:ann@example.com" ${REL}>mail</a> anchor empty tel</p>`,
    );
  });

  it('keeps only numeric image sizes and drops srcset, loading and title', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<img src="https://ok.example/a.png" width="100%" height=" 0300 " title="t" loading="lazy" srcset="b.png 2x">',
        BASE,
      ),
      '<img src="https://ok.example/a.png" height="300" />',
    );
  });

  it('removes tracking pixels, by size in attributes or style and by Medium path', () => {
    const pixels = [
      '<img src="https://t.example/p.gif" width="1" height="1">',
      '<img src="https://t.example/p.gif" width="0" height="0">',
      '<img src="https://t.example/p.gif" width="1px" height="1px">',
      '<img src="https://t.example/p.gif" style="width:1px;height:1px">',
      '<img src="https://t.example/p.gif" width="600" height="400" style="height: 1px !important; width: 0">',
      '<img src="https://medium.com/_/stat?event=post.clientViewed&amp;postId=1">',
      '<img src="https://blog.example/_/stat?event=x" width="300" height="200">',
    ];
    for (const pixel of pixels) {
      assert.equal(sanitizeArticleHtml(`<p>a${pixel}</p>`, BASE), '<p>a</p>', pixel);
    }
    // One small dimension is not a pixel.
    assert.equal(
      sanitizeArticleHtml('<img src="https://ok.example/line.png" width="600" height="1">', BASE),
      '<img src="https://ok.example/line.png" width="600" height="1" />',
    );
  });

  it('keeps only microformat classes on a and span and language classes on code', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<p><span class="h-card big"><a href="https://m.example/@x" class="u-url mention red">@x</a></span> ' +
          '<a href="https://m.example/tags/t" class="mention hashtag">#t</a> <span class="invisible">https://</span>' +
          '<span class="ellipsis">m.example</span> <em class="h-card">e</em></p>' +
          '<pre class="language-js"><code class="hljs language-js">x</code></pre><code class="lang-js">y</code>',
        BASE,
      ),
      `<p><span class="h-card"><a href="https://m.example/@x" class="u-url mention" ${REL}>@x</a></span> ` +
        `<a href="https://m.example/tags/t" class="mention hashtag" ${REL}>#t</a> <span class="invisible">https://</span>` +
        '<span class="ellipsis">m.example</span> <em>e</em></p>' +
        '<pre><code class="language-js">x</code></pre><code>y</code>',
    );
  });

  it('drops dangerous elements with their content and unwraps unknown ones', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<section><p>a<script>x()</script><style>p{}</style><iframe src="https://e.example/">f</iframe>' +
          '<object data="https://e.example/">o</object><embed src="https://e.example/">' +
          '<svg><text>s</text></svg><math><mi>m</mi></math><input value=i><button>b</button>' +
          '<textarea>t</textarea><select><option>o</option></select><template>t</template>' +
          '<noscript>n</noscript>b</p><form action="/f"><label>l</label></form>' +
          '<article><mark>kept</mark> <sup>text</sup></article></section>',
        BASE,
      ),
      '<p>ab</p>kept text',
    );
  });

  it('collapses empty paragraphs but keeps paragraphs holding only media', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<p></p><p> </p><p>&nbsp;</p><p><br></p><p><span></span><strong> </strong></p>' +
          '<p><a href="https://ok.example/"><img src="https://ok.example/a.png"></a></p>' +
          '<p><img src="https://t.example/p.gif" width="1" height="1"></p><p>x</p>',
        BASE,
      ),
      `<p><a href="https://ok.example/" ${REL}><img src="https://ok.example/a.png" /></a></p><p>x</p>`,
    );
  });

  it('keeps whitespace inside pre and reduces it between blocks', () => {
    assert.equal(
      sanitizeArticleHtml('<pre>  a\n\n  b</pre>\n\n\n<p>x</p>  \n <p>y  z</p>', BASE),
      '<pre>  a\n\n  b</pre>\n<p>x</p>\n<p>y  z</p>',
    );
  });

  it('gives empty output for empty or fully removed input', () => {
    assert.equal(sanitizeArticleHtml('', BASE), '');
    assert.equal(sanitizeArticleHtml('  <script>x</script>\n', BASE), '');
  });

  it('rejects a base URL that is not absolute http(s)', () => {
    assert.throws(() => sanitizeArticleHtml('<p>x</p>', '/relative'), TypeError);
    assert.throws(() => sanitizeArticleHtml('<p>x</p>', 'javascript:alert(1)'), TypeError);
  });

  it('finishes quickly on deep nesting and large input', () => {
    const started = performance.now();
    sanitizeArticleHtml('<div>'.repeat(5000) + 'x' + '</div>'.repeat(5000), BASE);
    sanitizeArticleHtml('<b>'.repeat(5000) + 'x', BASE);
    sanitizeArticleHtml('<p><a href="'.repeat(20_000), BASE);
    sanitizeArticleHtml(
      '<p>para <a href="/x">link</a> <img src="/a.png"></p>\n'.repeat(2000),
      BASE,
    );
    assert.ok(performance.now() - started < 5000);
  });
});

describe('sanitizeArticleHtml against hostile input', () => {
  it(`has a corpus of at least 40 payloads (${XSS.length}) the checks reject unsanitized`, () => {
    assert.ok(XSS.length >= 40);
    // The checks have teeth: they fail on the raw payloads, except the four that no browser
    // would run either (a tag cut off by the end of input, hostile words inside a quoted value).
    const passingRaw = XSS.filter((payload) => {
      try {
        assertSafe(payload);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(passingRaw, [
      '<img src=x onerror=alert(1)//',
      '<img alt=x" onerror="alert(1) src=https://ok.example/a.png>',
      '<img src="https://ok.example/a.png" alt="x&quot; onerror=&quot;alert(1)">',
      '<code class="language-js&quot; onclick=&quot;alert(1)">x</code>',
    ]);
  });

  for (const payload of XSS) {
    it(`neutralizes ${JSON.stringify(payload).slice(0, 90)}`, () => {
      for (const html of [payload, `<p>before ${payload} after</p>`]) {
        const out = sanitizeArticleHtml(html, BASE);
        assertSafe(out);
        assert.equal(sanitizeArticleHtml(out, BASE), out, 'idempotent');
      }
    });
  }

  it('escapes what looks like markup in text and attribute values', () => {
    assert.equal(
      sanitizeArticleHtml(
        '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><img src="https://ok.example/a.png" alt="x&quot; onerror=&quot;alert(1)">',
        BASE,
      ),
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>' +
        '<img src="https://ok.example/a.png" alt="x&quot; onerror=&quot;alert(1)" />',
    );
  });
});

describe('summaryHtml', () => {
  it('escapes plain text into one paragraph', () => {
    assert.equal(
      summaryHtml('5 < 6 & 7 > 4, "quoted"'),
      '<p>5 &lt; 6 &amp; 7 &gt; 4, "quoted"</p>',
    );
  });

  it('flattens HTML input to text: no tags, no links, entities decoded once', () => {
    const out = summaryHtml(
      '<p>A <b>bold</b> <a href="https://ok.example/">link</a></p><p>Next&nbsp;line &amp; more</p>' +
        '<script>alert(1)</script>',
    );
    // nbsp is whitespace too: collapsed like the rest.
    assert.equal(out, '<p>A bold link Next line &amp; more</p>');
    assert.doesNotMatch(out, /<a[\s>]/);
    assert.equal(summaryHtml('Tom &amp; Jerry'), '<p>Tom &amp; Jerry</p>');
    assert.equal(
      summaryHtml('Use <b>tags</b> &lt;b&gt; carefully'),
      '<p>Use tags &lt;b&gt; carefully</p>',
    );
  });

  it('never carries a link, even for a bare URL', () => {
    const out = summaryHtml('See https://ok.example/ <a href="https://ok.example/">here</a>');
    assert.doesNotMatch(out, /<a[\s>]/);
    assert.equal(out, '<p>See https://ok.example/ here</p>');
  });

  it('cuts long text at a word boundary to exactly 500 visible characters with "…"', () => {
    const out = summaryHtml('word '.repeat(200));
    const text = paragraphText(out);
    assert.equal(text, `${'word '.repeat(99)}word…`);
    assert.equal(visibleLength(text), 500);
  });

  it('never exceeds the limit and never cuts inside a word when a boundary is near', () => {
    const words = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor';
    for (let max = 10; max <= words.length + 2; max++) {
      const text = paragraphText(summaryHtml(words, max));
      assert.ok(visibleLength(text) <= max, `${max}: ${text}`);
      if (text.endsWith('…')) {
        const kept = text.slice(0, -1);
        assert.ok(words.startsWith(kept), `${max}: ${text}`);
        assert.match(words.slice(kept.length), /^[ ,]/, `${max}: cut inside a word: ${text}`);
      } else {
        assert.equal(text, words);
      }
    }
    assert.equal(summaryHtml('alpha beta gamma delta', 15), '<p>alpha beta…</p>');
    assert.equal(summaryHtml('alpha, beta gamma', 10), '<p>alpha…</p>');
  });

  it('counts what a reader sees: escapes and emoji are one character each', () => {
    assert.equal(summaryHtml('a & b', 5), '<p>a &amp; b</p>');
    assert.equal(summaryHtml('👩‍👩‍👧 family 👩‍👩‍👧 family', 10), '<p>👩‍👩‍👧 family…</p>');
    assert.equal(summaryHtml('Supercalifragilistic', 6), '<p>Super…</p>');
  });

  it('gives an empty string for empty, blank or tag-only input', () => {
    assert.equal(summaryHtml(''), '');
    assert.equal(summaryHtml(' \n\t '), '');
    assert.equal(summaryHtml('<p></p><script>x</script>'), '');
  });

  it('is already sanitized article HTML', () => {
    const out = summaryHtml('5 < 6 & "7" \'8\'');
    assert.equal(sanitizeArticleHtml(out, BASE), out);
  });
});

describe('plainTitle', () => {
  it('decodes entities and strips tags', () => {
    assert.equal(plainTitle('Fish &amp; Chips'), 'Fish & Chips');
    assert.equal(
      plainTitle('<b>Bold</b> <i>title</i> &#8212; &quot;quoted&quot;'),
      'Bold title — "quoted"',
    );
    assert.equal(plainTitle('<script>alert(1)</script>Title'), 'Title');
  });

  it('keeps a literal < as the character', () => {
    assert.equal(plainTitle('5 < 6'), '5 < 6');
    assert.equal(plainTitle('Why x<y matters'), 'Why x<y matters');
    assert.equal(plainTitle('Vec&lt;T&gt; in <em>Rust</em>'), 'Vec<T> in Rust');
  });

  it('collapses whitespace and removes control characters', () => {
    assert.equal(plainTitle('  Two\n\n lines\t here\u0007 '), 'Two lines here');
  });

  it('cuts at 150 characters on a word boundary with "…"', () => {
    const title = plainTitle('word '.repeat(40));
    assert.ok(visibleLength(title) <= 150);
    assert.equal(title, `${'word '.repeat(29)}word…`);
    assert.equal(plainTitle('short title'), 'short title');
    assert.equal(plainTitle('one two three', 9), 'one two…');
  });
});

describe('membersOnlyHtml', () => {
  const url = 'https://stories.example/@ann/members-story-9f';

  it('holds the summary, the notice and a link to the story', () => {
    assert.equal(
      membersOnlyHtml('A short teaser.', url, 'Medium'),
      '<p>A short teaser.</p><p>This story is for members only.</p>' +
        `<p><a href="${url}" ${REL}>Read it on Medium</a></p>`,
    );
    assert.equal(
      membersOnlyHtml(null, url),
      '<p>This story is for members only.</p>' +
        `<p><a href="${url}" ${REL}>Read it on stories.example</a></p>`,
    );
  });

  it('never holds more than the summary', () => {
    const sentinel = 'FULL-TEXT-SENTINEL-7c1d';
    const story = { summary: 'The teaser.', body: `<p>${sentinel}</p>` };
    const out = membersOnlyHtml(story.summary, url);
    assert.ok(out.includes('The teaser.'));
    assert.ok(!out.includes(sentinel));
  });

  it('escapes a hostile summary, platform name and URL', () => {
    const out = membersOnlyHtml(
      '<img src=x onerror=alert(1)><script>alert(1)</script>Teaser "quoted" & <b>bold</b>',
      'https://stories.example/a"onmouseover="alert(1)?q=<x>&r=1',
      '<b>Plat</b> & "form"',
    );
    assertSafe(out);
    assert.equal(
      out,
      '<p>Teaser "quoted" &amp; bold</p><p>This story is for members only.</p>' +
        '<p><a href="https://stories.example/a%22onmouseover=%22alert(1)?q=%3Cx%3E&amp;r=1" ' +
        `${REL}>Read it on Plat &amp; "form"</a></p>`,
    );
  });

  it('is already sanitized article HTML', () => {
    const out = membersOnlyHtml('Teaser & more <3', `${url}?a=1&b=2`, 'Stories');
    assert.equal(sanitizeArticleHtml(out, url), out);
  });

  it('rejects a canonical URL that is not absolute http(s)', () => {
    assert.throws(() => membersOnlyHtml('x', 'javascript:alert(1)'), TypeError);
    assert.throws(() => membersOnlyHtml('x', '/relative'), TypeError);
  });
});

describe('absoluteUrl', () => {
  it('resolves relative URLs against the base', () => {
    assert.equal(
      absoluteUrl('../b?x=1#f', 'https://a.example/p/q/r'),
      'https://a.example/p/b?x=1#f',
    );
    assert.equal(absoluteUrl('  /root  ', 'https://a.example/p/'), 'https://a.example/root');
  });

  it('makes protocol-relative URLs https', () => {
    assert.equal(absoluteUrl('//cdn.example/x', 'http://a.example/'), 'https://cdn.example/x');
  });

  it('returns null for other schemes, empty input and unresolvable URLs', () => {
    for (const url of [
      'javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,x',
      'mailto:a@b.c',
      '',
      '  ',
    ]) {
      assert.equal(absoluteUrl(url, 'https://a.example/'), null, JSON.stringify(url));
    }
    assert.equal(absoluteUrl('relative', 'not a url'), null);
    assert.equal(absoluteUrl('https://ok.example/x', 'not a url'), 'https://ok.example/x');
    assert.equal(absoluteUrl('https://[bad', 'https://a.example/'), null);
  });
});
