// Resident memory of a process from /proc (Linux): now, the kernel's high-water mark (VmHWM, over
// the process's whole life) and the peak of samples taken during a phase.
import { readFile } from 'node:fs/promises';
import { round } from '../ingest/stats.js';

export interface Rss {
  readonly rssMiB: number;
  /** Peak RSS over the process's life (VmHWM). */
  readonly hwmMiB: number;
}

export async function readRss(pid: number): Promise<Rss> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: round(kib('VmRSS') / 1024), hwmMiB: round(kib('VmHWM') / 1024) };
}

export interface RssOverPhase {
  /** RSS when the phase began. */
  readonly startMiB: number;
  /** Highest RSS sampled during the phase (every `everyMs`). */
  readonly peakMiB: number;
  /** VmHWM at the end: the peak over the process's life, start-up included. */
  readonly hwmMiB: number;
}

/** Samples a process's RSS until {@link RssSampler.stop}. */
export class RssSampler {
  #peak = 0;
  #start = Number.NaN;
  readonly #timer: NodeJS.Timeout;

  private constructor(
    private readonly pid: number,
    everyMs: number,
  ) {
    this.#timer = setInterval(() => void this.#sample(), everyMs);
  }

  static async start(pid: number, everyMs = 100): Promise<RssSampler> {
    const sampler = new RssSampler(pid, everyMs);
    sampler.#start = (await readRss(pid)).rssMiB;
    sampler.#peak = sampler.#start;
    return sampler;
  }

  async #sample(): Promise<Rss | undefined> {
    try {
      const r = await readRss(this.pid);
      if (r.rssMiB > this.#peak) this.#peak = r.rssMiB;
      return r;
    } catch {
      return undefined; // the process is gone
    }
  }

  async stop(): Promise<RssOverPhase> {
    clearInterval(this.#timer);
    const last = await this.#sample();
    return { startMiB: this.#start, peakMiB: this.#peak, hwmMiB: last?.hwmMiB ?? Number.NaN };
  }
}
