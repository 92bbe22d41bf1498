import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostileHtml } from '../../test/support/property/hostile-html.js';
import { COMMENT_TAGS, unsafeParts } from '../../test/support/property/html-safety.js';
import { forAll } from '../../test/support/property/random.js';
import { sanitizeCommentHtml } from './comment-html.js';

describe('sanitizeCommentHtml (property)', () => {
  it('never emits script, event handlers or javascript:/vbscript:/data: URLs, and is idempotent', () => {
    forAll(
      { name: 'comment html is safe', runs: 3000 },
      (random) => hostileHtml(random),
      (html) => {
        const out = sanitizeCommentHtml(html);
        assert.deepEqual(unsafeParts(out, COMMENT_TAGS), [], `output: ${out}`);
        assert.equal(sanitizeCommentHtml(out), out, 'sanitizing the output changes it');
      },
    );
  });
});
