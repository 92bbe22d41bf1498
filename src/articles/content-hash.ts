import { createHash } from 'node:crypto';
import type { ArticleContent } from './article.js';

/**
 * sha256 (hex) over everything about a story that readers see, in a fixed order: the same content
 * always hashes the same, and `updatedAt` alone never changes it.
 */
export function contentHash(
  article: ArticleContent,
  authorIds: readonly string[],
  publicationId: string | null,
): string {
  const shape = [
    article.url,
    article.title,
    article.subtitle,
    article.contentHtml,
    article.excerpt,
    article.language,
    article.tags,
    article.coverImage,
    article.publishedAt.toISOString(),
    article.visibility,
    article.contentWarning,
    article.commentsEnabled,
    authorIds,
    publicationId,
  ];
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex');
}
