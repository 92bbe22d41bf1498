/**
 * Groups calls made close together into one: `add(item)` resolves with what `run` says about
 * the item once the batch it joined has run. A batch runs when `max` items are waiting or on the
 * next turn of the event loop, whichever comes first, so a lone call waits no timer. If `run`
 * fails, every call of that batch fails with its error.
 */
export class Batcher<T, R> {
  #items: T[] = [];
  #waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;

  constructor(
    private readonly run: (items: readonly T[]) => Promise<readonly R[]>,
    private readonly max = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#items.push(item);
      this.#waiters.push({ resolve, reject });
      if (this.#items.length >= this.max) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#items.length === 0) return;
    const items = this.#items;
    const waiters = this.#waiters;
    this.#items = [];
    this.#waiters = [];
    this.run(items).then(
      (results) => {
        waiters.forEach((w, i) => {
          w.resolve(results[i] as R);
        });
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error);
      },
    );
  }
}
