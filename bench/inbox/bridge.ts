// One run of the inbox benchmark against the real service: dist/src/main.js (ROLE=all) on a fresh
// database, with the queues on Redis or on BullMQ's Postgres backend. One story is published
// through POST /api/v1/events; pre-signed replies to it are POSTed to the shared inbox, first a
// warm-up (every remote actor's key fetched and cached, JIT warm), then the timed replies. Timed
// from the first POST to the last 202 (accepted) and to the last comment row (stored, by the
// database's `created_at`), with the service's CPU and memory over that span.
import { join } from 'node:path';
import { publishedEvent } from '../../test/e2e/support/events.js';
import { uniqueName } from '../../test/support/database.js';
import { storyHtml } from '../fanout/activity.js';
import { RssSampler, type RssOverPhase } from '../fanout/memory.js';
import { type Quiet, waitForQuiet } from '../fanout/phase.js';
import { quietNote } from '../fanout/senders.js';
import { cpuBetween, cpuSnapshot, type CpuUse } from '../ingest/cpu.js';
import { type Backends, dropQueues } from '../ingest/environment.js';
import { newestProfile, type ProfileSummary, summariseProfile } from '../ingest/profile.js';
import {
  type BenchDatabase,
  createDatabase,
  type Service,
  startService,
} from '../ingest/service.js';
import {
  countBy,
  type LatencySummary,
  perSecond,
  round,
  sleep,
  summarise,
  waitUntil,
} from '../ingest/stats.js';
import { postReplies } from './load.js';
import { signReplies, type SignedReply } from './replies.js';
import { countsSince, type RemoteServer, type RequestCounts } from './remote-server.js';

/** Where the queues live for a run. */
export type QueueBackend = 'redis' | 'postgres';

export interface InboxRunOptions {
  readonly replies: number;
  readonly warmUp: number;
  readonly concurrency: number;
  /** Longest wait for every timed reply to be stored, after the last answer. */
  readonly storeTimeoutMs: number;
  readonly quietWaitMs: number;
  readonly keep: boolean;
  /** Directory for the service's CPU profile (--profile), else none. */
  readonly profileDir?: string | undefined;
}

export interface InboxRunResult {
  readonly backend: QueueBackend;
  /** The queue backend as found (version, URL). */
  readonly queue: string;
  readonly replies: number;
  readonly warmUp: number;
  readonly concurrency: number;
  readonly actors: number;
  readonly serviceReadyMs: number;
  /** Signing every reply (warm-up and timed) before the run, in this process. */
  readonly signing: { readonly replies: number; readonly ms: number; readonly perS: number };
  readonly bodyBytes: { readonly mean: number; readonly max: number };
  readonly accepted: {
    readonly count: number;
    /** Status → count of the timed requests. */
    readonly statuses: Record<string, number>;
    readonly errors: string[];
    /** The last 202, ms after the first POST. */
    readonly lastMs: number;
    /** Timed replies ÷ time to the last 202. */
    readonly perS: number;
  };
  /** Time from writing each request to reading its answer (every timed request). */
  readonly latencyMs: LatencySummary;
  readonly stored: {
    readonly expected: number;
    /** Timed replies with a comment row when the run ended. */
    readonly count: number;
    readonly complete: boolean;
    /** The first and last comment row of a timed reply (`created_at`), ms after the first POST. */
    readonly firstMs: number;
    readonly lastMs: number;
    /** Timed replies ÷ time from the first POST to the last row. */
    readonly perS: number;
    /** Rows written by the time of the last 202: while the inbox was being posted to. */
    readonly duringAccept: number;
    /** Rows written after the last 202 ÷ the time from it to the last row: the queue draining. */
    readonly drainPerS: number;
    /** Comment rows of the timed replies by status and visibility. */
    readonly byStatus: Record<string, number>;
    /** From a reply's 202 to its row's `created_at`. */
    readonly lagMs: LatencySummary;
  };
  /** Over the first POST → last row (or the timeout), in % of one core. */
  readonly cpu: CpuUse;
  readonly cpuSeconds: { service: number; postgres: number; redis: number; bench: number };
  readonly cpuMsPerReply: { service: number; postgres: number; redis: number };
  /** The service's RSS over the timed phase (`hwmMiB`: over its whole life). */
  readonly rss: RssOverPhase;
  /** What the bridge asked the remote server for during the timed phase. */
  readonly remoteRequests: RequestCounts;
  readonly warmUpRemoteRequests: RequestCounts;
  readonly quiet: Quiet;
  /** Warnings and errors the service logged during the timed phase. */
  readonly serviceWarnings: { count: number; first: string[] };
  readonly profile?: ProfileSummary;
}

/** The story the replies answer, and its author as a reply mentions it. */
interface Story {
  readonly uri: string;
  readonly mention: { readonly href: string; readonly name: string };
}

async function publishStory(svc: Service, db: BenchDatabase): Promise<Story> {
  const event = publishedEvent('inbox-story', {
    title: 'The analytical engine',
    contentHtml: storyHtml(),
    excerpt: 'The engine weaves algebraic patterns.',
    authors: [{ id: 'u-ada', username: 'ada', displayName: 'Ada Lovelace' }],
    publication: undefined,
  });
  const res = await svc.api('POST', '/api/v1/events', event, ['ingest']);
  if (res.status !== 202) throw new Error(`POST event: ${res.status} ${await res.text()}`);
  const { articleId } = (await res.json()) as { articleId: string };
  const [author] = await db.sql<{ id: string; handle: string }>(
    `SELECT id, handle FROM actors WHERE kind = 'author' AND platform_id = 'u-ada'`,
  );
  if (author === undefined) throw new Error('the story’s author was not stored');
  return {
    uri: `${svc.origin}/articles/${articleId}`,
    mention: {
      href: `${svc.origin}/actors/${author.id}`,
      name: `@${author.handle}@${new URL(svc.origin).host}`,
    },
  };
}

const countComments = async (db: BenchDatabase): Promise<number> =>
  (await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM comments`))[0]?.n ?? 0;

/** Posts the warm-up replies and waits until they are all stored. */
async function warmUp(
  db: BenchDatabase,
  inbox: string,
  replies: readonly SignedReply[],
  concurrency: number,
  timeoutMs: number,
): Promise<void> {
  if (replies.length === 0) return;
  const load = await postReplies({ inbox, replies, concurrency });
  if ((load.statuses[202] ?? 0) !== replies.length) {
    throw new Error(
      `warm-up: ${JSON.stringify(load.statuses)} for ${replies.length} replies; ${load.errors.join(' | ')}`,
    );
  }
  if (!(await waitUntil(async () => (await countComments(db)) >= replies.length, timeoutMs, 100))) {
    throw new Error(`warm-up: ${await countComments(db)} of ${replies.length} replies stored`);
  }
}

export async function inboxRun(
  b: Backends,
  backend: QueueBackend,
  remote: RemoteServer,
  o: InboxRunOptions,
  log: (message: string) => void,
): Promise<InboxRunResult> {
  const redisUrl = backend === 'redis' ? b.redisUrl : undefined;
  if (backend === 'redis' && redisUrl === undefined) throw new Error('no Redis found');
  const db = await createDatabase(b.serverUrl, o.keep, 'bench_inbox');
  const prefix = uniqueName('bi');
  let svc: Service | undefined;
  let window: { from: number; to: number } | undefined;
  let result: Omit<InboxRunResult, 'profile'>;
  try {
    svc = await startService({
      databaseUrl: db.url,
      redisUrl,
      queuePrefix: prefix,
      profileDir: o.profileDir,
    });
    const tag = `inbox/${backend}`;
    log(`${tag}: service ready in ${svc.readyMs} ms`);
    const story = await publishStory(svc, db);
    const inbox = `${svc.origin}/inbox`;

    const signStart = performance.now();
    const all = signReplies({
      inbox,
      storyUri: story.uri,
      mention: story.mention,
      actors: remote.actors,
      first: 1,
      count: o.warmUp + o.replies,
    });
    const signMs = performance.now() - signStart;
    const warm = all.slice(0, o.warmUp);
    const timed = all.slice(o.warmUp);
    log(`${tag}: ${all.length} replies signed in ${round(signMs / 1000, 1)} s; warming up`);

    const beforeWarm = remote.counts();
    await warmUp(db, inbox, warm, o.concurrency, o.storeTimeoutMs);
    const warmUpRemoteRequests = countsSince(beforeWarm, remote.counts());
    const quiet = await waitForQuiet(o.quietWaitMs);
    log(
      `${tag}: ${warm.length} warm-up replies stored; posting ${timed.length}${quietNote(quiet)}`,
    );

    const logsBefore = svc.app.stdout.length;
    const remoteBefore = remote.counts();
    const rss = await RssSampler.start(svc.app.pid);
    const cpu0 = await cpuSnapshot();
    const load = await postReplies({ inbox, replies: timed, concurrency: o.concurrency });
    const accepted = load.statuses[202] ?? 0;
    log(
      `${tag}: ${accepted} of ${timed.length} accepted in ${round(load.lastAcceptedMs / 1000, 2)} s; ` +
        `waiting for the comments`,
    );
    const target = warm.length + accepted;
    const stored = await waitUntil(
      async () => (await countComments(db)) >= target,
      o.storeTimeoutMs,
      50,
    );
    const cpu1 = await cpuSnapshot();
    const memory = await rss.stop();
    const cpu = cpuBetween(cpu0, cpu1, {
      service: svc.app.pid,
      ourBackends: await db.backendPids(),
    });
    window = { from: Number(cpu0.at / 1000n), to: Number(cpu1.at / 1000n) };
    const remoteRequests = countsSince(remoteBefore, remote.counts());
    if (!stored) log(`${tag}: not every accepted reply was stored within ${o.storeTimeoutMs} ms`);

    // The database's view: which timed replies became rows, and when (pg returns numeric as text).
    const rows = await db.sql<{ ap_id: string; at: string; status: string; visibility: string }>(
      `SELECT ap_id, extract(epoch FROM created_at) * 1000 AS at, status, visibility FROM comments`,
    );
    const byNote = new Map(rows.map((r) => [r.ap_id, r]));
    const rowMs: number[] = [];
    const lagMs: number[] = [];
    const timedRows: { status: string; visibility: string }[] = [];
    timed.forEach((reply, i) => {
      const row = byNote.get(reply.noteId);
      if (row === undefined) return;
      const at = Number(row.at) - load.startedAtWall;
      rowMs.push(at);
      timedRows.push(row);
      const answered = load.answeredAtMs[i] ?? Number.NaN;
      if (load.status[i] === 202) lagMs.push(at - answered);
    });
    const lastRowMs = rowMs.length === 0 ? Number.NaN : Math.max(...rowMs);
    const firstRowMs = rowMs.length === 0 ? Number.NaN : Math.min(...rowMs);
    const duringAccept = rowMs.filter((at) => at <= load.lastAcceptedMs).length;

    const warnings = svc.app.stdout
      .slice(logsBefore)
      .filter((line) => /"level":(4|5|6)\d/.test(line));
    const seconds = (pct: number): number => round((pct / 100) * cpu.seconds, 2);
    const perReply = (pct: number): number =>
      rowMs.length === 0 ? Number.NaN : round(((pct / 100) * cpu.seconds * 1000) / rowMs.length, 2);
    const sizes = timed.map((r) => r.body.length);
    result = {
      backend,
      queue: backend === 'redis' ? b.redis : 'none: BullMQ on its Postgres backend',
      replies: timed.length,
      warmUp: warm.length,
      concurrency: o.concurrency,
      actors: remote.actors.length,
      serviceReadyMs: svc.readyMs,
      signing: { replies: all.length, ms: round(signMs), perS: perSecond(all.length, signMs) },
      bodyBytes: {
        mean: round(sizes.reduce((s, x) => s + x, 0) / Math.max(1, sizes.length)),
        max: Math.max(0, ...sizes),
      },
      accepted: {
        count: accepted,
        statuses: load.statuses,
        errors: load.errors,
        lastMs: round(load.lastAcceptedMs),
        perS: perSecond(accepted, load.lastAcceptedMs),
      },
      latencyMs: summarise(Array.from(load.latencyMs)),
      stored: {
        expected: timed.length,
        count: rowMs.length,
        complete: rowMs.length === timed.length,
        firstMs: round(firstRowMs),
        lastMs: round(lastRowMs),
        perS: perSecond(rowMs.length, lastRowMs),
        duringAccept,
        drainPerS: perSecond(rowMs.length - duringAccept, lastRowMs - load.lastAcceptedMs),
        byStatus: countBy(timedRows, (r) => `${r.status}/${r.visibility}`),
        lagMs: summarise(lagMs),
      },
      cpu,
      cpuSeconds: {
        service: seconds(cpu.service),
        postgres: seconds(cpu.postgresOurs),
        redis: seconds(cpu.redis),
        bench: seconds(cpu.bench),
      },
      cpuMsPerReply: {
        service: perReply(cpu.service),
        postgres: perReply(cpu.postgresOurs),
        redis: perReply(cpu.redis),
      },
      rss: memory,
      remoteRequests,
      warmUpRemoteRequests,
      quiet,
      serviceWarnings: { count: warnings.length, first: warnings.slice(0, 5) },
    };
    log(
      `${tag}: ${result.accepted.perS} accepted/s, ${result.stored.perS} stored/s, ` +
        `p99 ${result.latencyMs.p99} ms, peak RSS ${memory.peakMiB} MiB`,
    );
  } finally {
    await svc?.stop();
    await db.drop();
    await dropQueues(redisUrl, prefix);
    // Let Postgres and Redis settle before a next run.
    await sleep(500);
  }
  if (o.profileDir === undefined) return result;
  const file = await newestProfile(o.profileDir);
  if (file === undefined) return result;
  return { ...result, profile: await summariseProfile(file, window) };
}

/** Where `--profile` writes the service's CPU profile for a backend. */
export const profileDirFor = (root: string, backend: QueueBackend): string => join(root, backend);
