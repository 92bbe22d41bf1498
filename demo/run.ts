/**
 * `npm run demo`: the whole loop on one machine with nothing configured. Starts the bridge
 * (embedded Postgres in a temporary directory), a local remote ActivityPub server (the
 * independent test peer), a local RSS feed and a webhook receiver, then walks a story from the
 * feed to a fediverse follower and a reply from there back to the author, one line per step.
 * Exit 0 when every step passed; 1 with the failing step, its reason and the service's last log
 * lines otherwise; 130/143 when interrupted. See docs/demo.md.
 */
import { randomBytes } from 'node:crypto';
import { mastodonView } from '../test/support/mastodon-view.js';
import {
  type InboxDelivery,
  type JsonObject,
  RemotePeer,
} from '../test/support/remote-peer/index.js';
import { DemoBridge } from './bridge.js';
import { type FeedStory, DemoFeed } from './feed-server.js';
import {
  Progress,
  type StepContext,
  StepFailure,
  duration,
  messageOf,
  waitUntil,
} from './progress.js';
import { WebhookReceiver } from './webhook-receiver.js';

const TOTAL_STEPS = 9;
/** Every step but the first: each is a few requests and a queue hop or two. */
const STEP_TIMEOUT_MS = 20_000;
/** The first: a new embedded Postgres cluster (initdb), migrations, Nest. */
const BOOT_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 20;
/** The author's platform id, and its fediverse username. */
const AUTHOR_ID = 'demo-ada';
const AUTHOR_USERNAME = 'ada';

const STORY: Omit<FeedStory, 'publishedAt'> = {
  slug: 'notes-on-the-analytical-engine',
  title: 'Notes on the Analytical Engine',
  author: 'Ada Lovelace',
  summary:
    'The Engine weaves algebraical patterns just as the Jacquard loom weaves flowers and leaves.',
  contentHtml:
    '<p>The Analytical Engine has no pretensions whatever to originate anything. It can do ' +
    'whatever we know how to order it to perform.</p>' +
    '<h2>Note G</h2><p>A table of the operations by which the Engine would compute the ' +
    'numbers of Bernoulli.</p>',
  categories: ['computing', 'history'],
};

/** Everything the demo started, so that it can all be stopped. */
interface Running {
  webhooks?: WebhookReceiver;
  feed?: DemoFeed;
  peer?: RemotePeer;
  /** The service, from the moment it is spawned. */
  bridge?: DemoBridge;
  /** Its start, which a stop during the first step may interrupt. */
  starting?: Promise<DemoBridge>;
}

/** Values the steps hand on. */
interface Story {
  readonly platformId: string;
  /** The Article's id on the bridge. */
  readonly uri: string;
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const progress = new Progress({ total: TOTAL_STEPS });
  const running: Running = {};
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== undefined) return; // cleanup is already under way
    interrupted = signal;
    progress.stop(`interrupted by ${signal}`);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

  progress.note(
    'fediverse-bridge demo: a feed, the bridge and a remote server on this machine, nothing configured',
  );
  let failed: StepFailure | undefined;
  let crashed: Error | undefined;
  try {
    await walk(progress, running);
  } catch (error) {
    if (error instanceof StepFailure) failed = error;
    else crashed = error instanceof Error ? error : new Error(String(error));
  }

  if (failed !== undefined && interrupted === undefined && running.bridge !== undefined) {
    const tail = running.bridge.logTail(LOG_TAIL_LINES);
    progress.note(
      `--- the bridge's last ${LOG_TAIL_LINES} log lines (LOG_LEVEL=${logLevel()}) ---`,
    );
    progress.note(tail.length > 0 ? tail.join('\n') : '(nothing logged at this level)');
    // A boot that failed may have failed in Postgres, whose log goes with the data directory.
    const postgres = failed.index === 1 ? await running.bridge.postgresLogTail(10) : [];
    if (postgres.length > 0) {
      progress.note(`--- the embedded Postgres's last ${postgres.length} log lines ---`);
      progress.note(postgres.join('\n'));
    }
    progress.note('---');
  }
  const clean = await stopAll(running, progress, interrupted !== undefined);
  if (crashed !== undefined) throw crashed;
  if (interrupted !== undefined) {
    progress.note(`demo interrupted at step ${progress.current}/${TOTAL_STEPS}`);
    return interrupted === 'SIGINT' ? 130 : 143;
  }
  if (failed !== undefined) {
    progress.note(`demo failed at step ${failed.index}/${failed.total}: ${failed.title}`);
    return 1;
  }
  if (!clean) {
    progress.note('demo failed: every step passed, but the bridge did not stop cleanly');
    return 1;
  }
  progress.note(`demo passed: ${TOTAL_STEPS} steps in ${duration(Date.now() - startedAt)}`);
  return 0;
}

async function walk(progress: Progress, running: Running): Promise<void> {
  const bridge = await progress.step('the bridge starts', BOOT_TIMEOUT_MS, async () => {
    const secret = randomBytes(32).toString('base64url');
    running.webhooks = await WebhookReceiver.start(secret);
    running.feed = await DemoFeed.start("Ada's notebook");
    running.peer = await RemotePeer.start({ username: 'reader' });
    running.starting = DemoBridge.start({
      webhookUrl: running.webhooks.url,
      webhookSecret: secret,
      logLevel: logLevel(),
    });
    const started = await running.starting;
    running.bridge = started;
    started.app.child.once('exit', (code, signal) => {
      if (!started.shuttingDown) {
        progress.stop(`the bridge exited unexpectedly (${signal ?? `code ${String(code)}`})`);
      }
    });
    const readyMs = await started.waitUntilReady(BOOT_TIMEOUT_MS);
    return {
      title: `the bridge is ready at ${started.origin}`,
      detail: `embedded Postgres and queues in ${started.dataDir}; ready in ${duration(readyMs)}`,
      more: [
        `remote server  ${running.peer.origin} (@${running.peer.handle})`,
        `RSS feed       ${running.feed.url}`,
        `webhooks       ${running.webhooks.url}`,
      ],
      value: started,
    };
  });
  // Set by the first step, which succeeded.
  const peer = running.peer as RemotePeer;
  const feed = running.feed as DemoFeed;
  const webhooks = running.webhooks as WebhookReceiver;
  const acct = `@${AUTHOR_USERNAME}@${bridge.host}`;

  const feedId = await progress.step('feed registered', STEP_TIMEOUT_MS, async (step) => {
    const author = await bridge.api(
      'PUT',
      `/api/v1/authors/${AUTHOR_ID}`,
      ['admin'],
      {
        username: AUTHOR_USERNAME,
        displayName: STORY.author,
        bio: 'Writes about engines.',
        profileUrl: `${feed.origin}/@${AUTHOR_USERNAME}`,
      },
      step.signal,
    );
    expectStatus('PUT /api/v1/authors', author, [200, 201]);
    const created = await bridge.api(
      'POST',
      '/api/v1/feeds',
      ['ingest'],
      { url: feed.url, authorId: AUTHOR_ID },
      step.signal,
    );
    expectStatus('POST /api/v1/feeds', created, [201]);
    const id = stringField(created.json, 'id', 'POST /api/v1/feeds');
    // The first poll records what the feed holds (nothing yet), so every later story is new.
    const polled = await bridge.api(
      'POST',
      `/api/v1/feeds/${id}/poll`,
      ['ingest'],
      undefined,
      step.signal,
    );
    expectStatus('POST /api/v1/feeds/{id}/poll', polled, [200]);
    const result = pollResult(polled.json);
    if (result.result !== 'fetched') {
      throw new Error(
        `the first poll answered ${result.result}: ${result.error ?? 'no error given'}`,
      );
    }
    return {
      title: `feed registered for ${acct}`,
      detail: `author ${AUTHOR_ID}, feed ${id.slice(0, 8)}…, first poll: ${result.result}, empty; ${duration(step.elapsed())}`,
      value: id,
    };
  });

  const adaActor = await progress.step(
    `the remote server follows ${acct}`,
    STEP_TIMEOUT_MS,
    async (step) => {
      step.waiting(`WebFinger of ${acct}`);
      const { self } = await peer.webfinger(acct, bridge.origin);
      step.waiting(`the Follow to be answered`);
      const follow = await peer.follow(self);
      const sentAt = Date.now();
      const accept = await waitForDelivery(
        step,
        peer,
        'an Accept of the Follow',
        (a) => a.type === 'Accept' && objectId(a.object) === follow.id,
      );
      return {
        detail: `Accept received in ${duration(accept.receivedAt.getTime() - sentAt)}, ${verdictText(accept)}`,
        value: self,
      };
    },
  );

  /** `@ada@host` for the author's actor id, else the id. */
  const who = (actor: unknown): string => {
    const id = objectId(actor);
    return id === adaActor ? acct : String(id);
  };

  const story = await progress.step('story ingested', STEP_TIMEOUT_MS, async (step) => {
    const published: FeedStory = { ...STORY, publishedAt: new Date() };
    feed.publish(published);
    const polled = await bridge.api(
      'POST',
      `/api/v1/feeds/${feedId}/poll`,
      ['ingest'],
      undefined,
      step.signal,
    );
    expectStatus('POST /api/v1/feeds/{id}/poll', polled, [200]);
    const result = pollResult(polled.json);
    // A feed item whose guid is a URL is stored under that URL as its platform id.
    const platformId = feed.storyUrl(published);
    const path = `/api/v1/articles/${encodeURIComponent(platformId)}`;
    const stored = await waitUntil(step, `the story at GET ${path}`, async (seen) => {
      const answer = await bridge.api('GET', path, ['comments:read'], undefined, step.signal);
      if (answer.status === 200) return answer;
      seen(`${answer.status} ${answer.text.slice(0, 200)}; the poll said ${describePoll(result)}`);
      return undefined;
    });
    const uri = `${bridge.origin}/articles/${stringField(stored.json, 'articleId', path)}`;
    return {
      title: `story ingested: "${published.title}"`,
      detail: `poll: ${describePoll(result)}; stored as ${uri}; ${duration(step.elapsed())}`,
      value: { platformId, uri } satisfies Story,
    };
  });

  const article = await progress.step(
    `the Article arrives at @${peer.handle}`,
    STEP_TIMEOUT_MS,
    async (step) => {
      const create = await waitForDelivery(
        step,
        peer,
        `a Create of ${story.uri}`,
        (a) => a.type === 'Create' && objectId(a.object) === story.uri,
      );
      const object = create.activity.object as JsonObject;
      const view = mastodonView(object);
      return {
        detail: `Create(${String(object.type)}) from ${who(create.activity.actor)}, ${verdictText(create)}; ${duration(step.elapsed())} after the poll`,
        more: ['what Mastodon shows:', ...view.text.split('\n').map((line) => `  │ ${line}`)],
        value: object,
      };
    },
  );

  const reply = await progress.step('the remote server replies', STEP_TIMEOUT_MS, async (step) => {
    step.waiting(`the bridge's actor ${adaActor}`);
    const fetched = await peer.fetchActor(adaActor);
    const inbox = sharedInboxOf(fetched.json);
    if (inbox === undefined) {
      throw new Error(`the actor ${adaActor} (${fetched.status}) has no inbox`);
    }
    const mention = `<span class="h-card" translate="no"><a href="${adaActor}" class="u-url mention">@<span>${AUTHOR_USERNAME}</span></a></span>`;
    const { note, create } = peer.createNote({
      content: `<p>${mention} What a read! Could the Engine compose music, too?</p>`,
      inReplyTo: String(article.id),
      mentions: [{ href: adaActor, name: acct }],
    });
    step.waiting(`POST ${inbox}`);
    const answer = await peer.signedPost(inbox, create);
    if (answer.status !== 202) {
      throw new Error(
        `the bridge's inbox answered ${answer.status}: ${(await answer.text()).slice(0, 300)}`,
      );
    }
    return {
      detail: `Create(Note) inReplyTo the Article, signed, to ${inbox}: ${answer.status} in ${duration(step.elapsed())}`,
      value: note,
    };
  });
  const replyId = String(reply.id);

  const commentId = await progress.step(
    'the comment appears through the API and the webhook',
    STEP_TIMEOUT_MS,
    async (step) => {
      const path = `/api/v1/articles/${encodeURIComponent(story.platformId)}/comments`;
      let apiMs: number | undefined;
      let hookMs: number | undefined;
      let comment: { id: string; handle: string; text: string } | undefined;
      await waitUntil(
        step,
        `the comment in GET ${path} and a comment.created webhook`,
        async (seen) => {
          if (comment === undefined) {
            const answer = await bridge.api('GET', path, ['comments:read'], undefined, step.signal);
            comment = answer.status === 200 ? findComment(answer.json, replyId) : undefined;
            if (comment !== undefined) apiMs = step.elapsed();
            else seen(`API: ${answer.status}, not listed yet`);
          }
          if (hookMs === undefined && webhooks.find('comment.created', replyId) !== undefined) {
            hookMs = step.elapsed();
          }
          if (hookMs === undefined) {
            const refused = webhooks.refused.at(-1);
            seen(
              `${comment === undefined ? 'API: not listed yet' : 'API: listed'}; webhooks: ${webhooks.hooks.length} verified` +
                (refused === undefined ? '' : `, ${webhooks.refused.length} refused (${refused})`),
            );
          }
          return comment !== undefined && hookMs !== undefined ? true : undefined;
        },
      );
      const hook = webhooks.find('comment.created', replyId);
      if (comment === undefined || hook === undefined) throw new Error('unreachable');
      if (hook.event.comment.id !== comment.id) {
        throw new Error(
          `the webhook names comment ${hook.event.comment.id}, the API ${comment.id}`,
        );
      }
      return {
        detail: `API after ${duration(apiMs ?? 0)}; webhook ${hook.event.type} #${hook.event.id} after ${duration(hookMs ?? 0)}, JWS ${hook.alg} verified`,
        more: [`${comment.handle}: "${comment.text}"`],
        value: comment.id,
      };
    },
  );

  const answeredAt = await progress.step(`the author answers`, STEP_TIMEOUT_MS, async (step) => {
    const answer = await bridge.api(
      'POST',
      `/api/v1/comments/${commentId}/replies`,
      ['comments:write'],
      {
        authorId: AUTHOR_ID,
        contentHtml:
          '<p>It might: the Engine could compose elaborate pieces of music of any complexity.</p>',
        replyId: 'demo-answer-1',
      },
      step.signal,
    );
    expectStatus('POST /api/v1/comments/{id}/replies', answer, [201]);
    return {
      title: `${acct} answers through the API`,
      detail: `POST /api/v1/comments/${commentId.slice(0, 8)}…/replies: ${answer.status}; ${duration(step.elapsed())}`,
      value: Date.now(),
    };
  });

  await progress.step(`the remote server receives the answer`, STEP_TIMEOUT_MS, async (step) => {
    const create = await waitForDelivery(
      step,
      peer,
      `a Create of a Note inReplyTo ${replyId}`,
      (a) => a.type === 'Create' && objectOf(a)?.inReplyTo === replyId,
    );
    const note = objectOf(create.activity) ?? {};
    return {
      detail: `Create(${String(note.type)}) from ${who(create.activity.actor)}, ${verdictText(create)}; ${duration(Date.now() - answeredAt)} after the answer`,
      more: [`${acct}: "${htmlToText(String(note.content))}"`],
      value: undefined,
    };
  });
}

/** Stops everything that was started; reports how the bridge ended. Never throws. */
async function stopAll(
  running: Running,
  progress: Progress,
  interrupted: boolean,
): Promise<boolean> {
  let clean = true;
  // A stop during the first step may have come while the service was being spawned.
  running.bridge ??= await running.starting?.catch(() => undefined);
  if (running.bridge !== undefined) {
    try {
      const report = await running.bridge.shutdown();
      const how =
        report.signal !== null ? `killed by ${report.signal}` : `exit ${String(report.code)}`;
      const postgres =
        report.leftoverPostgres > 0
          ? `; ${report.leftoverPostgres} embedded Postgres process(es) outlived it and were stopped`
          : '';
      // Ctrl-C reaches the service too; early in its boot that kills it, which is fine here.
      const exitedWell = report.code === 0 || (interrupted && report.signal !== null);
      const ok = exitedWell && report.leftoverPostgres === 0;
      clean = ok;
      const stopped = report.alreadyExited
        ? `had already exited (${report.signal === null ? `code ${String(report.code)}` : how}${postgres})`
        : `stopped (${how} in ${duration(report.ms)}${postgres})`;
      progress.note(`${ok ? '·' : '✗'} the bridge ${stopped}; removed ${running.bridge.dataDir}`);
    } catch (error) {
      clean = false;
      progress.note(`✗ stopping the bridge: ${messageOf(error)}`);
    }
  }
  await Promise.allSettled([
    running.peer?.stop(),
    running.feed?.close(),
    running.webhooks?.close(),
  ]);
  return clean;
}

/** Waits for an inbox delivery the peer accepted (signature verified) whose activity matches. */
async function waitForDelivery(
  step: StepContext,
  peer: RemotePeer,
  what: string,
  match: (activity: JsonObject) => boolean,
): Promise<InboxDelivery & { activity: JsonObject }> {
  return waitUntil(step, what, (seen) => {
    const found = peer.received.find((d) => d.activity !== undefined && match(d.activity));
    if (found?.activity !== undefined && found.accepted)
      return { ...found, activity: found.activity };
    const received = peer.received.map(
      (d) =>
        `${activityType(d.activity)} → ${d.status}${d.verdict.ok ? '' : ` (${d.verdict.reason ?? 'rejected'})`}`,
    );
    seen(`the remote server received ${received.length === 0 ? 'nothing' : received.join(', ')}`);
    return undefined;
  });
}

/** `Create(Article)`, `Accept`, or `not JSON`. */
function activityType(activity: JsonObject | undefined): string {
  if (activity === undefined) return 'not JSON';
  const object = objectOf(activity);
  const inner = typeof object?.type === 'string' ? `(${object.type})` : '';
  return `${String(activity.type)}${inner}`;
}

/** `signature ok (draft-cavage rsa-sha256)`, or why it was rejected. */
function verdictText(delivery: InboxDelivery): string {
  const v = delivery.verdict;
  if (!v.ok) return `signature REJECTED: ${v.reason ?? 'no reason'}`;
  return `signature ok (${v.scheme}${v.algorithm === undefined ? '' : ` ${v.algorithm}`})`;
}

function expectStatus(call: string, answer: { status: number; text: string }, ok: number[]): void {
  if (!ok.includes(answer.status)) {
    throw new Error(`${call} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(json: unknown, field: string, call: string): string {
  const value = isObject(json) ? json[field] : undefined;
  if (typeof value !== 'string') throw new Error(`${call} answered without a string "${field}"`);
  return value;
}

interface PollResult {
  readonly result: string;
  readonly error?: string;
  readonly created: number;
  readonly updated: number;
  readonly recorded: number;
}

function pollResult(json: unknown): PollResult {
  const poll = isObject(json) && isObject(json.poll) ? json.poll : {};
  const count = (name: string): number => (typeof poll[name] === 'number' ? poll[name] : 0);
  return {
    result: typeof poll.result === 'string' ? poll.result : 'unknown',
    ...(typeof poll.error === 'string' ? { error: poll.error } : {}),
    created: count('created'),
    updated: count('updated'),
    recorded: count('recorded'),
  };
}

function describePoll(poll: PollResult): string {
  return `${poll.result}, ${poll.created} new, ${poll.updated} updated, ${poll.recorded} recorded only`;
}

/** The comment whose ActivityPub id is `apId` in a comments page. */
function findComment(
  json: unknown,
  apId: string,
): { id: string; handle: string; text: string } | undefined {
  const comments =
    isObject(json) && Array.isArray(json.comments) ? (json.comments as unknown[]) : [];
  for (const c of comments) {
    if (!isObject(c) || c.apId !== apId || typeof c.id !== 'string') continue;
    const author = isObject(c.author) ? c.author : {};
    return {
      id: c.id,
      handle: typeof author.handle === 'string' ? author.handle : '?',
      text: typeof c.contentText === 'string' ? c.contentText : '',
    };
  }
  return undefined;
}

function objectId(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isObject(value) && typeof value.id === 'string' ? value.id : undefined;
}

function objectOf(activity: JsonObject): JsonObject | undefined {
  return isObject(activity.object) ? activity.object : undefined;
}

/** An actor's shared inbox, as Mastodon delivers to, else its own. */
function sharedInboxOf(actor: unknown): string | undefined {
  if (!isObject(actor)) return undefined;
  const shared = isObject(actor.endpoints) ? actor.endpoints.sharedInbox : undefined;
  if (typeof shared === 'string') return shared;
  return typeof actor.inbox === 'string' ? actor.inbox : undefined;
}

/** A status's HTML as the plain text a reader sees. */
function htmlToText(html: string): string {
  return html
    .replace(/<\/p>\s*<p>/g, '\n')
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** The service's `LOG_LEVEL`: `warn`, or `DEMO_LOG_LEVEL` to see more when a step fails. */
function logLevel(): string {
  return process.env.DEMO_LOG_LEVEL ?? 'warn';
}

main().then(
  (code) => {
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(
      `demo crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
