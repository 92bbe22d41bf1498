import type { HttpException } from '@nestjs/common';
import type { FeedView } from '../../feeds/feeds.controller.js';
import { CliError, type Command, flag, intOption, stringOption, UsageError } from './command.js';
import { withContext } from './with-context.js';

/**
 * `fedi-bridge add-feed`: registers an RSS/Atom feed. It goes through the feeds API's own code
 * (`FeedsController.create`: the same schema, https rule, owner lookup and duplicate check as
 * `POST /api/v1/feeds`), called in-process, so the two cannot drift apart.
 */
export const addFeedCommand: Command = {
  name: 'add-feed',
  summary: 'register an RSS/Atom feed for an author or a publication',
  help: `Usage: fedi-bridge add-feed <url> (--author <platformId> | --publication <platformId>) [options]

Registers an RSS or Atom feed whose stories the bridge publishes as the given author's, or in
the given publication (which must exist: create them through the API first). Worker processes
poll it; on the first poll only stories newer than the subscription are federated, plus the
newest --backfill older ones. Same rules as POST /api/v1/feeds (docs/feeds.md).

Options:
  --author <platformId>       the author the feed's stories belong to
  --publication <platformId>  or the publication they appear in (exactly one of the two)
  --min-interval <seconds>    lower bound of the polling interval (default FEED_MIN_INTERVAL_S)
  --max-interval <seconds>    upper bound (default FEED_MAX_INTERVAL_S)
  --backfill <n>              older stories the first poll federates, 0–100 (default FEED_BACKFILL)
  --json                      print the feed as the API shows it

Examples:
  fedi-bridge add-feed https://medium.example/feed/@ada --author u-ada
  fedi-bridge add-feed https://engines.example/rss.xml --publication pub-engines --backfill 3`,
  options: {
    author: { type: 'string' },
    publication: { type: 'string' },
    'min-interval': { type: 'string' },
    'max-interval': { type: 'string' },
    backfill: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const url = input.positionals[0] ?? '';
    const authorId = stringOption(input, 'author');
    const publicationId = stringOption(input, 'publication');
    if ((authorId === undefined) === (publicationId === undefined)) {
      throw new UsageError('give exactly one of --author and --publication');
    }
    const body = {
      url,
      ...(authorId === undefined ? {} : { authorId }),
      ...(publicationId === undefined ? {} : { publicationId }),
      ...optional('minIntervalSeconds', intOption(input, 'min-interval', 0, 10_000_000)),
      ...optional('maxIntervalSeconds', intOption(input, 'max-interval', 0, 10_000_000)),
      ...optional('backfill', intOption(input, 'backfill', 0, 10_000)),
    };
    const { HttpException } = await import('@nestjs/common');
    const { FeedsController } = await import('../../feeds/feeds.controller.js');
    const feed = await withContext(input, async (context) => {
      try {
        return await context.get(FeedsController).create(body);
      } catch (error) {
        if (error instanceof HttpException) throw new CliError(apiMessage(error));
        throw error;
      }
    });
    if (flag(input, 'json')) {
      input.io.out(JSON.stringify(feed, null, 2));
      return;
    }
    input.io.out(describeFeed(feed));
  },
};

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function describeFeed(feed: FeedView): string {
  return [
    `registered feed ${feed.id}`,
    `  url:      ${feed.url}`,
    `  owner:    ${feed.owner.kind} ${feed.owner.platformId} (@${feed.owner.handle})`,
    `  interval: ${feed.minIntervalSeconds}–${feed.maxIntervalSeconds} s, backfill ${feed.backfill}`,
    `  first poll due ${feed.nextPollAt} (by a worker process)`,
  ].join('\n');
}

/** The API's refusal as one line (a 400's message already names each JSON pointer). */
export function apiMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const { message } = response as { message?: unknown };
  return typeof message === 'string' ? message : error.message;
}
