// A pure feed-parsing module: the bytes of an RSS 2.0 / Atom 1.0 / Medium feed in, normalized
// items out. No network, no database, no clock.
export {
  FeedParseError,
  MAX_EXCERPT_LENGTH,
  MAX_FEED_ITEMS,
  parseFeed,
  type FeedItem,
  type FeedParseErrorReason,
  type ParsedFeed,
  type ParseFeedOptions,
} from './feed-parser.js';
export { isMembersOnlyPreview, removeTrackingPixels } from './html.js';
export { normalizeLink } from './links.js';
