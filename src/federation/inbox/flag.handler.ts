import type { InboxContext } from '@fedify/fedify';
import type { Flag } from '@fedify/vocab';
import { commentPlainText, sanitizeCommentHtml } from '../../comments/comment-html.js';
import type { InboxDeps } from './inbox-deps.js';

/** Longest report text kept. */
const MAX_REPORT_CHARS = 5_000;

/**
 * Flag (a report, as Mastodon forwards it from its moderation) naming our actors, stories or
 * comments → a moderation report the platform reads through the API. Nothing is hidden or
 * removed automatically.
 */
export class FlagHandler {
  constructor(private readonly deps: InboxDeps) {}

  async handle(_ctx: InboxContext<void>, flag: Flag): Promise<void> {
    const intake = this.deps.comments;
    const actorId = flag.actorId;
    if (intake === undefined || actorId === null || flag.id === null) return;
    const content = flag.content?.toString() ?? null;
    await intake.report({
      apId: flag.id.href,
      reporterActorId: actorId.href,
      content:
        content === null
          ? null
          : commentPlainText(sanitizeCommentHtml(content.slice(0, MAX_REPORT_CHARS))),
      targets: flag.objectIds.map((u) => u.href),
    });
  }
}
