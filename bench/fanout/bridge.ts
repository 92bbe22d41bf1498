// The bridge itself: the built service (dist/src/main.js, ROLE=all) on a fresh database, an author
// created through the admin API, N followers written straight into `followers` (one per fleet
// inbox, no shared inbox), and one story published through POST /api/v1/events. Measured from the
// 202 to the last arrival at the fleet; then checked in the database (every delivery `delivered`).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { publishedEvent } from '../../test/e2e/support/events.js';
import { uniqueName } from '../../test/support/database.js';
import type { Backends } from '../ingest/environment.js';
import { dropQueues } from '../ingest/environment.js';
import { newestProfile, type ProfileSummary, summariseProfile } from '../ingest/profile.js';
import {
  type BenchDatabase,
  createDatabase,
  type Service,
  startService,
} from '../ingest/service.js';
import { round, sleep, waitUntil } from '../ingest/stats.js';
import { storyHtml } from './activity.js';
import type { Fleet } from './fleet.js';
import { PhaseWatch, phaseResult, type PhaseResult, waitForQuiet } from './phase.js';
import { monoMs } from './rpc.js';
import { AFTER_WARM_UP_MS, phaseTimeoutMs, quietNote } from './senders.js';

export interface BridgePhaseOptions {
  readonly warmUp: number;
  readonly keep: boolean;
  /** Directory for the service's CPU profile (--profile), else none. */
  readonly profileDir?: string | undefined;
  /** Longest wait for a quiet machine before the timed fan-out. */
  readonly quietWaitMs: number;
}

/** Milestones of the fan-out, ms after the 202 (database clock, ms precision). */
export interface BridgeTimeline {
  readonly postToAcceptMs: number;
  /** The publish transaction that wrote the activity and its deliveries began. */
  readonly activityStoredMs: number;
  /** All its delivery jobs were queued. */
  readonly enqueuedMs: number;
  readonly firstDeliveredRowMs: number;
  readonly lastDeliveredRowMs: number;
}

export interface BridgePhaseResult extends PhaseResult {
  readonly queue: string;
  readonly serviceReadyMs: number;
  readonly timeline: BridgeTimeline;
  /** `deliveries` rows of the activity by status, once none was pending (or after 30 s). */
  readonly deliveryRows: Record<string, number>;
  readonly retriedRows: number;
  readonly rowErrors: { error: string; n: number }[];
  /** Warnings and errors the service logged during the phase. */
  readonly serviceWarnings: { count: number; first: string[] };
  readonly profile?: ProfileSummary;
}

interface Author {
  readonly platformId: string;
  readonly id: string;
  readonly actorUrl: string;
}

/** Creates an author, trusts its keys in the fleet, and gives it one follower per inbox. */
async function authorWithFollowers(
  svc: Service,
  db: BenchDatabase,
  fleet: Fleet,
  platformId: string,
  username: string,
  inboxes: readonly string[],
): Promise<Author> {
  const res = await svc.api('PUT', `/api/v1/authors/${platformId}`, {
    username,
    displayName: `Writer ${username}`,
  });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`PUT author: ${res.status} ${await res.text()}`);
  }
  const { actorId: actorUrl } = (await res.json()) as { actorId: string };
  // The keys as the actor document publishes them: what a receiving server would fetch.
  const doc = await fetch(actorUrl, { headers: { accept: 'application/activity+json' } });
  const actor = (await doc.json()) as { id: string; publicKey?: unknown };
  const listed = Array.isArray(actor.publicKey) ? actor.publicKey : [actor.publicKey];
  let trusted = 0;
  for (const k of listed as ({ id?: string; publicKeyPem?: string } | undefined)[]) {
    if (k?.id === undefined || k.publicKeyPem === undefined) continue;
    await fleet.trust(k.id, actor.id, k.publicKeyPem);
    trusted += 1;
  }
  if (trusted === 0) throw new Error(`${actorUrl} lists no publicKeyPem`);
  const [row] = await db.sql<{ id: string }>(
    `SELECT id FROM actors WHERE kind = 'author' AND platform_id = $1`,
    [platformId],
  );
  if (row === undefined) throw new Error(`author ${platformId} not stored`);
  await db.sql(
    `INSERT INTO followers (actor_id, follower_uri, inbox_url, shared_inbox_url, host)
     SELECT $1, f.uri, f.inbox, NULL, f.host
       FROM unnest($2::text[], $3::text[], $4::text[]) AS f(uri, inbox, host)`,
    [
      row.id,
      inboxes.map((i) => i.replace(/\/inbox$/, '/users/reader')),
      inboxes,
      inboxes.map((i) => new URL(i).host),
    ],
  );
  return { platformId, id: row.id, actorUrl };
}

/** Posts a story by `author`; returns when the 202 came and the Create's id once stored. */
async function publish(
  svc: Service,
  db: BenchDatabase,
  author: Author,
  username: string,
): Promise<{ postedAt: number; acceptedAt: number; activityUri: string; activityId: string }> {
  const event = publishedEvent(`story-${randomUUID()}`, {
    title: 'The analytical engine',
    contentHtml: storyHtml(),
    excerpt: 'The engine weaves algebraic patterns.',
    authors: [{ id: author.platformId, username, displayName: `Writer ${username}` }],
    publication: undefined,
  });
  const token = await svc.token(['ingest']);
  const postedAt = monoMs();
  const res = await fetch(`${svc.origin}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  const acceptedAt = monoMs();
  if (res.status !== 202) throw new Error(`POST event: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  let found: { id: string; uri: string } | undefined;
  const stored = await waitUntil(
    async () => {
      [found] = await db.sql<{ id: string; uri: string }>(
        `SELECT id, uri FROM outbound_activities WHERE actor_id = $1 AND type = 'Create'`,
        [author.id],
      );
      return found !== undefined;
    },
    60_000,
    20,
  );
  if (!stored || found === undefined) throw new Error('the Create was not stored within 60 s');
  return { postedAt, acceptedAt, activityUri: found.uri, activityId: found.id };
}

export async function bridgePhase(
  b: Backends,
  fleet: Fleet,
  n: number,
  o: BridgePhaseOptions,
  log: (message: string) => void,
): Promise<BridgePhaseResult> {
  const db = await createDatabase(b.serverUrl, o.keep, 'bench_fanout');
  const prefix = uniqueName('bf');
  let svc: Service | undefined;
  let window: { from: bigint; to: bigint } | undefined;
  let result: Omit<BridgePhaseResult, 'profile'>;
  try {
    svc = await startService({
      databaseUrl: db.url,
      redisUrl: b.redisUrl,
      queuePrefix: prefix,
      profileDir: o.profileDir,
    });
    log(`bridge ×${n}: service ready in ${svc.readyMs} ms`);
    const warm = Math.min(o.warmUp, n);
    if (warm > 0) {
      const a = await authorWithFollowers(
        svc,
        db,
        fleet,
        'u-warm',
        'warmup',
        fleet.inboxes.slice(0, warm),
      );
      const p = await publish(svc, db, a, 'warmup');
      if (!(await fleet.waitFor(p.activityUri, warm, 60_000))) {
        const got = await fleet.progress(p.activityUri);
        throw new Error(`bridge warm-up: ${got.distinct} of ${warm} inboxes reached`);
      }
      await sleep(AFTER_WARM_UP_MS);
    }
    const author = await authorWithFollowers(
      svc,
      db,
      fleet,
      'u-fanout',
      'fanout',
      fleet.inboxes.slice(0, n),
    );
    const logsBefore = svc.app.stdout.length;
    const quiet = await waitForQuiet(o.quietWaitMs);
    log(`bridge ×${n}: ${n} followers stored; publishing${quietNote(quiet)}`);
    const watch = await PhaseWatch.start(svc.app.pid, fleet);
    const p = await publish(svc, db, author, 'fanout');
    const done = await fleet.waitFor(p.activityUri, n, phaseTimeoutMs(n));
    const watched = await watch.stop(await db.backendPids());
    window = { from: watch.startedAtNs, to: watched.endedAtNs };
    if (!done) log(`bridge ×${n}: not every inbox reached in time`);
    const arrivals = await fleet.arrivals(p.activityUri, n);

    // The database's view: wait for the last `delivered` updates (they follow the 202s).
    const rows = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        (
          await db.sql<{ status: string; n: number }>(
            `SELECT status, count(*)::int AS n FROM deliveries WHERE activity_id = $1 GROUP BY status`,
            [p.activityId],
          )
        ).map((r) => [r.status, r.n]),
      );
    let deliveryRows: Record<string, number> = {};
    await waitUntil(
      async () => {
        deliveryRows = await rows();
        return (deliveryRows.pending ?? 0) === 0;
      },
      30_000,
      200,
    );
    const [extra] = await db.sql<{ retried: number }>(
      `SELECT count(*)::int AS retried FROM deliveries WHERE activity_id = $1 AND attempts > 1`,
      [p.activityId],
    );
    const rowErrors = await db.sql<{ error: string; n: number }>(
      `SELECT left(last_error, 200) AS error, count(*)::int AS n FROM deliveries
        WHERE activity_id = $1 AND last_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
      [p.activityId],
    );
    // Wall-clock milestones from the database, placed on the monotonic clock of the 202.
    // (pg returns numeric as text.)
    const [t] = await db.sql<{
      stored: string;
      enqueued: string | null;
      first: string | null;
      last: string | null;
    }>(
      `SELECT extract(epoch FROM a.created_at) * 1000 AS stored,
              extract(epoch FROM a.enqueued_at) * 1000 AS enqueued,
              extract(epoch FROM min(d.delivered_at)) * 1000 AS first,
              extract(epoch FROM max(d.delivered_at)) * 1000 AS last
         FROM outbound_activities a JOIN deliveries d ON d.activity_id = a.id
        WHERE a.id = $1 GROUP BY a.id`,
      [p.activityId],
    );
    const wallToMono = monoMs() - Date.now();
    const rel = (wall: string | null | undefined): number =>
      wall === null || wall === undefined
        ? Number.NaN
        : round(Number(wall) + wallToMono - p.acceptedAt);
    const warnings = svc.app.stdout
      .slice(logsBefore)
      .filter((line) => /"level":(4|5|6)\d/.test(line));
    result = {
      ...phaseResult(
        'bridge',
        arrivals,
        p.acceptedAt,
        'POST /api/v1/events answered 202',
        watched,
        quiet,
      ),
      queue: b.redis,
      serviceReadyMs: svc.readyMs,
      timeline: {
        postToAcceptMs: round(p.acceptedAt - p.postedAt),
        activityStoredMs: rel(t?.stored),
        enqueuedMs: rel(t?.enqueued),
        firstDeliveredRowMs: rel(t?.first),
        lastDeliveredRowMs: rel(t?.last),
      },
      deliveryRows,
      retriedRows: extra?.retried ?? 0,
      rowErrors,
      serviceWarnings: { count: warnings.length, first: warnings.slice(0, 5) },
    };
  } finally {
    await svc?.stop();
    await db.drop();
    await dropQueues(b.redisUrl, prefix);
  }
  if (o.profileDir === undefined) return result;
  const file = await newestProfile(o.profileDir);
  if (file === undefined) return result;
  const profile = await summariseProfile(file, {
    from: Number(window.from / 1000n),
    to: Number(window.to / 1000n),
  });
  return { ...result, profile };
}

/** Where `--profile` writes the bridge's CPU profile for size `n`. */
export const profileDirFor = (root: string, n: number): string => join(root, `bridge-${n}`);
