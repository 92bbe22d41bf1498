import type { ReplyPlace } from '../../comments/comment-intake.js';

/** Objects fetched per activity while looking for where a reply belongs. */
export const MAX_ANCESTOR_FETCHES = 5;
/** Unknown ancestors one reply may bring in. */
export const MAX_ANCESTORS = 20;

/** What the walk reads of a fetched post. */
export interface ThreadPost {
  readonly id: URL | null;
  readonly attributionId: URL | null;
  readonly replyTargetId: URL | null;
}

/** A fetch's outcome: the post, or why there is none (404, not a reply object, …). */
export type FetchedPost<T extends ThreadPost> =
  { readonly ok: true; readonly post: T } | { readonly ok: false; readonly reason: string };

/** Options of {@link walkUpThread}. */
export interface ThreadWalkOptions<T extends ThreadPost> {
  /**
   * Fetches the post at a URL (through the SSRF-safe loader). It should answer failures with
   * `ok: false`; a throw is taken as a failed fetch too.
   */
  readonly fetchPost: (url: URL) => Promise<FetchedPost<T>>;
  /** Where a reply to `uri` goes, when `uri` is one of our stories or a stored comment. */
  readonly placeFor: (uri: string) => Promise<ReplyPlace | null>;
  /** Ids already in the thread below the walk's start (the reply's own): met again, a cycle. */
  readonly seen?: readonly string[];
  /** Fetches allowed, failed ones included. Default: {@link MAX_ANCESTOR_FETCHES}. */
  readonly maxFetches?: number;
  /** Unknown ancestors allowed. Default: {@link MAX_ANCESTORS}. */
  readonly maxAncestors?: number;
}

/**
 * Where a walk ended: at a known place, with the unknown ancestors above the reply, top-down
 * (the first answers `anchor`, each next one answers the one before it); or nowhere, with why.
 */
export type ThreadWalk<T extends ThreadPost> =
  | {
      readonly ok: true;
      readonly anchor: ReplyPlace;
      readonly ancestors: readonly T[];
      readonly fetches: number;
    }
  | { readonly ok: false; readonly reason: string; readonly fetches: number };

/**
 * Walks up a thread from `start` (the `inReplyTo` of a reply whose parent we do not have),
 * fetching one post at a time, until a post answers one of our stories or a stored comment.
 *
 * Each fetched post must have an id and be its author's own: the id and `attributedTo` on one
 * origin (a post from host A claiming an author on host B is refused). The walk stops, with a
 * reason, at the first failed or refused fetch, at a post that answers nothing, at an id met
 * twice (a cycle), and when it would need more than `maxFetches` fetches or more than
 * `maxAncestors` unknown ancestors. Nothing is stored here: a failed walk leaves no trace.
 *
 * Errors of `placeFor` (the database) are not caught: an outage should make the inbox retry.
 */
export async function walkUpThread<T extends ThreadPost>(
  start: URL,
  options: ThreadWalkOptions<T>,
): Promise<ThreadWalk<T>> {
  const maxFetches = options.maxFetches ?? MAX_ANCESTOR_FETCHES;
  const maxAncestors = options.maxAncestors ?? MAX_ANCESTORS;
  const seen = new Set(options.seen);
  const ancestors: T[] = [];
  let fetches = 0;
  const fail = (reason: string): ThreadWalk<T> => ({ ok: false, reason, fetches });
  let next = start;
  for (;;) {
    if (seen.has(next.href)) return fail(`the thread loops back to ${next.href}`);
    seen.add(next.href);
    if (ancestors.length >= maxAncestors) {
      return fail(`the thread has more than ${maxAncestors} unknown ancestors`);
    }
    if (fetches >= maxFetches) {
      return fail(`the thread needs more than ${maxFetches} fetches (next: ${next.href})`);
    }
    fetches++;
    let fetched: FetchedPost<T>;
    try {
      fetched = await options.fetchPost(next);
    } catch (error) {
      fetched = { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    if (!fetched.ok) return fail(`ancestor ${next.href} refused: ${fetched.reason}`);
    const post = fetched.post;
    const id = post.id;
    if (id === null) return fail(`ancestor ${next.href} refused: it has no id`);
    if (id.href !== next.href) {
      // Served under another id (the loader checked that the id serves it): a known comment
      // or a cycle may hide behind it.
      if (seen.has(id.href)) return fail(`the thread loops back to ${id.href}`);
      seen.add(id.href);
      const known = await options.placeFor(id.href);
      if (known !== null)
        return { ok: true, anchor: known, ancestors: ancestors.reverse(), fetches };
    }
    const author = post.attributionId;
    if (author?.origin !== id.origin) {
      return fail(
        `ancestor ${id.href} refused: its author ${author?.href ?? '(none)'} is on another origin`,
      );
    }
    const parent = post.replyTargetId;
    if (parent === null) {
      return fail(`ancestor ${id.href} answers nothing: the thread is not one of ours`);
    }
    ancestors.push(post);
    const place = await options.placeFor(parent.href);
    if (place !== null) return { ok: true, anchor: place, ancestors: ancestors.reverse(), fetches };
    next = parent;
  }
}
