// The reference senders, each in a fresh process (sender-process.ts): the machine's RSA-2048
// signing ceiling, the ideal sender (threads that only sign and POST) and bare Fedify.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sleep } from '../ingest/stats.js';
import type { Fleet } from './fleet.js';
import { PhaseWatch, phaseResult, type PhaseResult, waitForQuiet } from './phase.js';
import { RpcChild } from './rpc.js';
import type { CeilingResult, RoundResult, SenderKey } from './sender-process.js';

const SCRIPT = fileURLToPath(new URL('./sender-process.js', import.meta.url));

/** How long a fan-out may take before the phase gives up. */
export const phaseTimeoutMs = (n: number): number => Math.max(120_000, n * 40);

/** Seconds to wait after a warm-up round: the fleet closes idle connections after 5 s. */
export const AFTER_WARM_UP_MS = 6_000;

/** A note for the log when the machine was not quiet before a phase. */
export function quietNote(q: { quiet: boolean; waitedMs: number; busyPct: number }): string {
  if (q.quiet)
    return q.waitedMs > 1_500 ? ` (waited ${Math.round(q.waitedMs / 1000)} s for quiet)` : '';
  return ` (machine still ${q.busyPct} % busy after ${Math.round(q.waitedMs / 1000)} s: results disturbed)`;
}

export async function ceilingPhase(threads: number, seconds: number): Promise<CeilingResult> {
  const child = RpcChild.fork(SCRIPT);
  try {
    return await child.call<CeilingResult>('ceiling', { threads, seconds });
  } finally {
    await child.stop();
  }
}

export interface SenderPhaseOptions {
  readonly warmUp: number;
  readonly ideal: { threads: number; concurrency: number; connections: number };
  readonly fedifyParallel: number;
  /** Longest wait for a quiet machine before the timed fan-out. */
  readonly quietWaitMs: number;
}

export interface SenderPhaseResult extends PhaseResult {
  readonly round: RoundResult;
  readonly fedifyErrors?: { count: number; first: string[] };
  readonly settings: Record<string, unknown>;
}

/** One fan-out of `kind` to the fleet's first `n` inboxes, after a warm-up round. */
export async function senderPhase(
  kind: 'ideal' | 'fedify',
  fleet: Fleet,
  n: number,
  o: SenderPhaseOptions,
  log: (message: string) => void,
): Promise<SenderPhaseResult> {
  const child = RpcChild.fork(SCRIPT);
  try {
    const key =
      kind === 'ideal'
        ? await child.call<SenderKey>('idealInit', o.ideal)
        : await child.call<SenderKey>('fedifyInit', { parallel: o.fedifyParallel });
    await fleet.trust(key.keyId, key.owner, key.publicKeyPem);
    const op = kind === 'ideal' ? 'idealRound' : 'fedifyRound';
    const origin = new URL(key.owner).origin;
    const newId = (): string => `${origin}/activities/${randomUUID()}`;

    const warm = Math.min(o.warmUp, n);
    if (warm > 0) {
      const id = newId();
      await child.call<RoundResult>(op, { activityId: id, inboxes: fleet.inboxes.slice(0, warm) });
      if (!(await fleet.waitFor(id, warm, 60_000))) {
        const p = await fleet.progress(id);
        throw new Error(`${kind} warm-up: ${p.distinct} of ${warm} inboxes reached`);
      }
      await sleep(AFTER_WARM_UP_MS);
    }

    const id = newId();
    const quiet = await waitForQuiet(o.quietWaitMs);
    log(`${kind} ×${n}: sending${quietNote(quiet)}`);
    const watch = await PhaseWatch.start(child.pid, fleet);
    const round = await child.call<RoundResult>(
      op,
      { activityId: id, inboxes: fleet.inboxes.slice(0, n) },
      phaseTimeoutMs(n),
    );
    const done = await fleet.waitFor(id, n, phaseTimeoutMs(n));
    const watched = await watch.stop();
    if (!done) log(`${kind} ×${n}: not every inbox reached in time`);
    const arrivals = await fleet.arrivals(id, n);
    const fedifyErrors =
      kind === 'fedify'
        ? await child.call<{ count: number; first: string[] }>('fedifyErrors')
        : undefined;
    const settings =
      kind === 'ideal'
        ? { ...o.ideal, signing: 'node:crypto sign (sync) per request, SHA-256 digest per request' }
        : {
            queue: `ParallelMessageQueue(InProcessMessageQueue, ${o.fedifyParallel})`,
            kv: 'MemoryKvStore',
            firstKnock: 'draft-cavage-http-signatures-12',
          };
    return {
      ...phaseResult(
        kind,
        arrivals,
        round.startedAt,
        kind === 'ideal' ? 'first request' : 'sendActivity called',
        watched,
        quiet,
      ),
      round,
      ...(fedifyErrors === undefined ? {} : { fedifyErrors }),
      settings,
    };
  } finally {
    await child.stop();
  }
}
