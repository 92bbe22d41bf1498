import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unsafeParts } from './html-safety.js';

const TAGS = ['p', 'a', 'img', 'b'];

describe('unsafeParts (the property tests’ checker)', () => {
  it('accepts safe markup', () => {
    const html =
      '<p>a &lt;script&gt; <a href="https://x.example/javascript:1">b</a></p><img src="/data:x" />';
    assert.deepEqual(unsafeParts(html, TAGS), []);
  });

  const unsafe: [string, RegExp][] = [
    ['<script>alert(1)</script>', /element <script>/],
    ['<SVG><p>x</p></SVG>', /element <svg>/],
    ['<p OnClick="x">a</p>', /event handler onclick/],
    ['<a href="&#x6A;ava&#x09;script&colon;alert(1)">x</a>', /javascript: URL/],
    ['<a href=" \u0001VBScript:x">x</a>', /vbscript: URL/],
    ['<img srcset="https://x.example/a 1x, data:image/svg+xml,x 2x">', /srcset=.* data: URL/],
    ['<p style="color:red">a</p>', /style=/],
    ['<p>a<!-- x --></p>', /comment/],
    ['<p>a</p><x-y>b</x-y>', /markup outside the allowlist/],
  ];
  for (const [html, expected] of unsafe) {
    it(`flags ${JSON.stringify(html)}`, () => {
      const problems = unsafeParts(html, TAGS);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${String(expected)} in ${JSON.stringify(problems)}`,
      );
    });
  }
});
