import type { Actor } from '../actors/actor.js';
import { actorUrl } from '../actors/actor-urls.js';
import type { Article } from '../articles/article.js';
import { membersOnlyHtml, plainTitle, sanitizeArticleHtml, summaryHtml } from './article-html.js';
import { articleUrl, contextUrl, followersUrl, repliesUrl, tagUrl } from './article-urls.js';

/** The public addressing collection. */
export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

/** JSON-LD context of every Article we emit. */
export const ARTICLE_CONTEXT = [
  'https://www.w3.org/ns/activitystreams',
  {
    sensitive: 'as:sensitive',
    Hashtag: 'as:Hashtag',
    gts: 'https://gotosocial.org/ns#',
    interactionPolicy: { '@id': 'gts:interactionPolicy', '@type': '@id' },
    canReply: { '@id': 'gts:canReply', '@type': '@id' },
    always: { '@id': 'gts:always', '@type': '@id' },
    approvalRequired: { '@id': 'gts:approvalRequired', '@type': '@id' },
    mimeType: 'as:mediaType',
  },
] as const;

/** What a story is rendered with, besides itself. */
export interface RenderInput {
  readonly article: Article;
  /** The story's authors, primary first (ids in `article.authorIds` order). */
  readonly authors: readonly Actor[];
  readonly publication: Actor | null;
  readonly publicUrl: URL;
}

/** A rendered Article, as JSON-LD (compacted). */
export type ArticleJson = Record<string, unknown> & { readonly id: string };

/**
 * Renders a stored story as an ActivityPub `Article` (FEP-b2b8, shaped for how Mastodon really
 * reads it — see INTEROP.md): a pure function of its input, so equal inputs give equal JSON and
 * a hash of the JSON says whether followers need an Update.
 *
 * - `name` is the plain-text title; `summary` the subtitle (else the excerpt) as linkless HTML,
 *   because Mastodon shows `<h2>name</h2>`, the summary and the `url` — never `content` — and takes
 *   its link card from the first link.
 * - `content` is the sanitized story; for members-only stories only the summary, a notice and the
 *   link.
 * - Addressing: public stories to Public, cc every author's and the publication's followers;
 *   unlisted ones the other way round.
 */
export function renderArticle(input: RenderInput): ArticleJson {
  const { article, authors, publication, publicUrl } = input;
  const id = articleUrl(publicUrl, article.id).href;
  const name = plainTitle(article.title);
  const summarySource = article.subtitle ?? article.excerpt;
  const summary = summarySource === null ? '' : summaryHtml(summarySource);
  const content =
    article.visibility === 'members'
      ? membersOnlyHtml(summarySource, article.url)
      : sanitizeArticleHtml(article.contentHtml, article.url);
  const attributedTo = [...authors, ...(publication === null ? [] : [publication])].map(
    (a) => actorUrl(publicUrl, a.id).href,
  );
  const followers = [...authors, ...(publication === null ? [] : [publication])].map(
    (a) => followersUrl(publicUrl, a.id).href,
  );
  const to = article.visibility === 'unlisted' ? followers : [PUBLIC];
  const cc = article.visibility === 'unlisted' ? [PUBLIC] : followers;
  // A tag with no letter or digit is no hashtag on any server (and `.` or `..` would resolve
  // as a path segment in its URL): left out.
  const tags = article.tags
    .filter((t) => /[\p{L}\p{N}]/u.test(t))
    .map((t) => ({
      type: 'Hashtag',
      href: tagUrl(publicUrl, t).href,
      name: `#${t}`,
    }));
  const language = article.language;
  const published = isoSeconds(article.publishedAt);
  const updated = isoSeconds(article.updatedAt);
  const sensitive = article.contentWarning !== null;

  // `dcterms:subject` is what FEP-b2b8 consumers show first for a sensitive Article.
  const context = sensitive
    ? [...ARTICLE_CONTEXT, { dcterms: 'http://purl.org/dc/terms/' }]
    : ARTICLE_CONTEXT;
  return {
    '@context': context,
    id,
    type: 'Article',
    attributedTo,
    name,
    ...(summary === '' ? {} : { summary }),
    content,
    ...(language === null
      ? {}
      : {
          contentMap: { [language]: content },
          nameMap: { [language]: name },
          ...(summary === '' ? {} : { summaryMap: { [language]: summary } }),
        }),
    // Mastodon reads `mimeType`, JSON-LD consumers `mediaType` (the context maps one to the other).
    url: { type: 'Link', href: article.url, mediaType: 'text/html', mimeType: 'text/html' },
    published,
    ...(updated === published ? {} : { updated }),
    to,
    cc,
    ...(article.coverImage === null
      ? {}
      : {
          image: {
            type: 'Image',
            url: article.coverImage.url,
            ...(article.coverImage.alt === '' ? {} : { name: article.coverImage.alt }),
          },
        }),
    ...(tags.length === 0 ? {} : { tag: tags }),
    sensitive,
    ...(sensitive ? { 'dcterms:subject': article.contentWarning } : {}),
    preview: {
      type: 'Note',
      attributedTo: attributedTo[0],
      content: `<p><strong>${escapeText(name)}</strong></p>${summary}`,
      published,
      ...(tags.length === 0 ? {} : { tag: tags }),
    },
    replies: repliesUrl(publicUrl, article.id).href,
    context: contextUrl(publicUrl, article.id).href,
    interactionPolicy: {
      canReply: article.commentsEnabled
        ? { always: [PUBLIC] }
        : { always: attributedTo.slice(0, authors.length) },
    },
  };
}

/** `YYYY-MM-DDTHH:MM:SSZ`, as FEP-b2b8 asks (no milliseconds). */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
