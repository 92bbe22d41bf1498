import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeProfileHtml } from './html.js';

describe('sanitizeProfileHtml', () => {
  it('turns plain text into escaped paragraphs', () => {
    assert.equal(
      sanitizeProfileHtml('Writer & editor\nfor 2 < 3 > 1 "quotes"\n\nSecond para'),
      '<p>Writer &amp; editor<br>for 2 &lt; 3 &gt; 1 &quot;quotes&quot;</p><p>Second para</p>',
    );
  });

  it('takes anything tag-shaped as HTML and sanitizes it', () => {
    assert.equal(sanitizeProfileHtml('at <Times> now'), 'at  now');
  });

  it('drops scripts, handlers, styles, iframes and unsafe URLs', () => {
    const out = sanitizeProfileHtml(
      '<p onclick="x()" style="color:red">Hi<script>alert(1)</script><iframe src="https://e.vil"></iframe>' +
        '<a href="javascript:alert(1)">j</a><a href="data:text/html,x">d</a><img src=x onerror=alert(1)></p>',
    );
    assert.equal(
      out,
      '<p>Hi<a rel="nofollow noopener noreferrer" target="_blank">j</a><a rel="nofollow noopener noreferrer" target="_blank">d</a></p>',
    );
  });

  it('keeps https links with rel set', () => {
    assert.equal(
      sanitizeProfileHtml('<p>See <a href="https://example.com/x" rel="me">my site</a></p>'),
      '<p>See <a href="https://example.com/x" rel="nofollow noopener noreferrer" target="_blank">my site</a></p>',
    );
  });

  it('treats empty and missing text as empty', () => {
    assert.equal(sanitizeProfileHtml(undefined), '');
    assert.equal(sanitizeProfileHtml('   '), '');
  });
});
