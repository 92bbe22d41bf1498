import type { Actor } from '../../../src/actors/actor.js';
import type { Article, Visibility } from '../../../src/articles/article.js';
import { uniqueTags } from '../../../src/ingestion/article-event.js';
import type { RenderInput } from '../../../src/publishing/render-article.js';
import { hostileHtml } from './hostile-html.js';
import type { Random } from './random.js';

/**
 * Random stories as renderArticle receives them: what ingestion stores (tags through
 * `uniqueTags`, URLs and languages of the shapes the article event schema admits), with titles,
 * subtitles and bodies that look like HTML or are hostile HTML, many scripts and emoji.
 */

const PUBLIC_URLS = [
  'https://bridge.example',
  'https://fedi.platform.example/',
  'https://bridge.example:8443',
  'http://localhost:3000',
  'https://xn--brcke-lva.example',
];

const DOMAINS = [
  'stories.example',
  'blog.ada.example',
  'engines.custom.example',
  'xn--bcher-kva.example',
  'a.b.c.example.co.uk',
  'stories.example:8443',
];

const WORDS = [
  'Engine',
  'weaves',
  'Über',
  'naïve',
  'café',
  '日本語',
  'العربية',
  '👩‍💻',
  '🏳️‍🌈',
  '🚀',
  '&',
  '&amp;',
  '<b>bold</b>',
  '<script>alert(1)</script>',
  '5 < 6',
  '&lt;i&gt;',
  '"quoted"',
  "'single'",
  '\u00a0',
  '\u200b',
  '\u202e',
  '\t',
  '\n',
  'a'.repeat(60),
  '<!-- x -->',
  '<img src=x onerror=alert(1)>',
  '—',
  '…',
];

const LANGUAGES = ['en', 'de', 'pt-BR', 'zh-Hant-TW', 'fr', 'ja'];

const TAGS = [
  'Computing',
  'computing',
  'History',
  'C++',
  'día',
  '日本',
  '🚀',
  'a/b',
  'two words',
  '#hashed',
  '##double',
  '100%',
  '?x=1',
  'ÅNGSTRÖM',
  'tag#inner',
  '<b>',
  '"q"',
  ' padded ',
  'x'.repeat(100),
];

const NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  '李小龍',
  'Zoë <b>',
  '🤖 Bot',
  'O\'Brien & "Co"',
  '',
];

function words(random: Random, min: number, max: number): string {
  return random.repeat(random.int(min, max), () => random.pick(WORDS), ' ');
}

/** A title ingestion would accept: at most 1,000 characters, not blank. */
function title(random: Random): string {
  const text = random.chance(0.2) ? hostileHtml(random, { maxNodes: 8 }) : words(random, 1, 40);
  const cut = text.slice(0, 1000);
  return cut.trim() === '' ? 'Untitled' : cut;
}

function optionalText(random: Random, max: number): string | null {
  if (random.chance(0.3)) return null;
  const text = random.chance(0.3) ? hostileHtml(random, { maxNodes: 10 }) : words(random, 0, 90);
  const trimmed = text.slice(0, max).trim();
  return trimmed === '' ? null : trimmed;
}

function pathSegment(random: Random): string {
  return encodeURIComponent(random.repeat(random.int(1, 3), () => random.pick(WORDS), '-'));
}

function date(random: Random): Date {
  // 1990 to 2099, to the millisecond.
  return new Date(Date.UTC(1990, 0, 1) + Math.floor(random.next() * 3.47e12));
}

function actor(random: Random, kind: Actor['kind']): Actor {
  const handle = `h${random.int(0, 1e6)}`;
  return {
    id: random.uuid(),
    kind,
    platformId: `p-${handle}`,
    handle,
    platformHandle: handle,
    name: random.pick(NAMES),
    summaryHtml: '',
    avatarUrl: null,
    headerUrl: null,
    profileUrl: null,
    profileLinks: [],
    alsoKnownAs: [],
    indexable: random.chance(0.5),
    customDomain: kind === 'publication' && random.chance(0.5) ? random.pick(DOMAINS) : null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
  };
}

/** A random story with its authors, publication and the bridge's public URL. */
export function randomRenderInput(random: Random): RenderInput {
  const authors = Array.from({ length: random.int(1, 3) }, () => actor(random, 'author'));
  const publication = random.chance(0.5) ? actor(random, 'publication') : null;
  const published = date(random);
  const updated = random.chance(0.5)
    ? published
    : new Date(published.getTime() + random.int(0, 1e10));
  const scheme = random.chance(0.9) ? 'https' : 'http';
  const host = publication?.customDomain ?? random.pick(DOMAINS);
  const article: Article = {
    id: random.uuid(),
    platformId: `story-${random.int(0, 1e9)}`,
    url: `${scheme}://${host}/@${authors[0]?.handle ?? 'x'}/${pathSegment(random)}`,
    title: title(random),
    subtitle: optionalText(random, 2000),
    contentHtml: hostileHtml(random, { maxNodes: random.pick([5, 40, 150]), maxDepth: 8 }),
    excerpt: optionalText(random, 5000),
    language: random.chance(0.5) ? random.pick(LANGUAGES) : null,
    tags: uniqueTags(Array.from({ length: random.int(0, 6) }, () => random.pick(TAGS))),
    coverImage: random.chance(0.5)
      ? {
          url: `https://cdn.${random.pick(DOMAINS)}/${pathSegment(random)}.jpg`,
          alt: random.chance(0.5) ? '' : words(random, 1, 10),
        }
      : null,
    publishedAt: published,
    updatedAt: updated,
    visibility: random.pick<Visibility>(['public', 'unlisted', 'members']),
    contentWarning: random.chance(0.2) ? words(random, 1, 8).trim() || 'CW' : null,
    commentsEnabled: random.chance(0.7),
    authorIds: authors.map((a) => a.id),
    publicationId: publication?.id ?? null,
    contentHash: 'h',
    deletedAt: null,
    pinnedAt: null,
    createdAt: published,
    modifiedAt: updated,
  };
  return { article, authors, publication, publicUrl: new URL(random.pick(PUBLIC_URLS)) };
}
