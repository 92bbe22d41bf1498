/**
 * Waits for `promise` at most `ms` milliseconds. Resolves `true` when it settled in time (a
 * rejection is rethrown), `false` when the time ran out first; the timer never outlives the call.
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
