/**
 * A small seeded PRNG and the run loop of our property tests. No dependency: mulberry32 is
 * enough to spread cases, and a seed printed with every failure makes any case reproducible.
 *
 *   PROPERTY_SEED=1234 PROPERTY_RUNS=20000 node scripts/test.mjs property
 */

/** A source of random choices; every generator takes one, so a seed fixes a whole case. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** `count` results of `make`, joined. */
  repeat(count: number, make: () => string, separator = ''): string {
    return Array.from({ length: count }, make).join(separator);
  }

  /** A version 4 UUID made of this generator's bits. */
  uuid(): string {
    const hex = (n: number) => this.repeat(n, () => this.int(0, 15).toString(16));
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  }
}

function envInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Options of {@link forAll}. */
export interface ForAllOptions {
  /** What is checked, for the log line and the failure message. */
  readonly name: string;
  /** Cases when `PROPERTY_RUNS` is not set. */
  readonly runs: number;
}

/**
 * Runs `check` on `runs` generated cases (`PROPERTY_RUNS` overrides). The run's seed is
 * `PROPERTY_SEED` or a random one and is printed; case `i` uses its own generator seeded from
 * the run's seed and `i`, so a failure names the seed and case that reproduce it. Stops at the
 * first failure, with the generated input in the message.
 */
export function forAll<T>(
  options: ForAllOptions,
  generate: (random: Random) => T,
  check: (value: T) => void,
): void {
  const seed = envInteger('PROPERTY_SEED') ?? Math.floor(Math.random() * 2 ** 31);
  const runs = envInteger('PROPERTY_RUNS') ?? options.runs;
  console.log(`# property "${options.name}": PROPERTY_SEED=${seed} PROPERTY_RUNS=${runs}`);
  for (let i = 0; i < runs; i++) {
    const value = generate(new Random(caseSeed(seed, i)));
    try {
      check(value);
    } catch (error) {
      const input = JSON.stringify(value, null, 1);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `property "${options.name}" failed at case ${i} (PROPERTY_SEED=${seed}):\n` +
          `${message}\ninput: ${input.length > 20_000 ? `${input.slice(0, 20_000)}…` : input}`,
        { cause: error },
      );
    }
  }
}

/** The seed of case `index` in a run seeded with `seed`. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}
