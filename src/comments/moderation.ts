import type { CommentStatus } from './comment.js';
import type { ModerationMode } from './comment.entity.js';

/** A publication's policy as the intake applies it. */
export interface ModerationPolicy {
  readonly mode: ModerationMode;
  readonly keywords: readonly string[];
}

/** The policy of stories without a publication, or of publications that set none. */
export const DEFAULT_POLICY: ModerationPolicy = { mode: 'auto', keywords: [] };

/**
 * The status a new reply gets: `pending` when its text contains one of the policy's keywords
 * (case-insensitive, whole words or phrases), when the policy holds everything, or when it holds
 * first-time commenters and this is the author's first reply; `approved` otherwise.
 */
export function initialStatus(
  policy: ModerationPolicy,
  text: string,
  firstTimeCommenter: boolean,
): { status: CommentStatus; reason: string | null } {
  const keyword = matchedKeyword(policy.keywords, text);
  if (keyword !== null) return { status: 'pending', reason: `keyword "${keyword}"` };
  if (policy.mode === 'hold_all')
    return { status: 'pending', reason: 'the policy holds every reply' };
  if (policy.mode === 'hold_first_time' && firstTimeCommenter) {
    return { status: 'pending', reason: 'first reply of this commenter' };
  }
  return { status: 'approved', reason: null };
}

/** The first keyword found in `text` as a whole word or phrase, ignoring case; else null. */
export function matchedKeyword(keywords: readonly string[], text: string): string | null {
  const haystack = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  for (const keyword of keywords) {
    const needle = keyword
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    if (needle !== '' && haystack.includes(` ${needle} `)) return keyword;
  }
  return null;
}

/** A block's key: `domain:{host}` (lower case) or `actor:{id}`. */
export function blockKey(kind: 'domain' | 'actor', value: string): string {
  return kind === 'domain' ? `domain:${value.toLowerCase()}` : `actor:${value}`;
}

/**
 * Whether `actorId` is blocked by one of `keys` (see {@link blockKey}): the actor itself, or its
 * host or any parent domain of it — a domain block covers subdomains, as on Mastodon.
 */
export function isBlockedBy(keys: ReadonlySet<string>, actorId: string): boolean {
  if (keys.has(blockKey('actor', actorId))) return true;
  let host: string;
  try {
    host = new URL(actorId).hostname.toLowerCase();
  } catch {
    return false;
  }
  const labels = host.split('.');
  return labels.some((_, i) => keys.has(blockKey('domain', labels.slice(i).join('.'))));
}
