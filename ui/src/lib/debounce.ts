/**
 * Debouncing and "latest answer wins" helpers for search-as-you-type.
 */

/** A debounced function with a way to cancel or run a pending call now. */
export interface Debounced<A extends unknown[]> {
  /** Schedule a call; a later call within the wait replaces it. */
  (...args: A): void;
  /** Drop the pending call, if any. */
  cancel(): void;
  /** Run the pending call at once, if any. */
  flush(): void;
}

/** Largest wait the caseload search may use, in milliseconds (issue 5: instant search). */
export const SEARCH_DEBOUNCE_MS = 40;

/**
 * Delay `fn` until `waitMs` have passed without another call. Only the last
 * arguments are used. `waitMs` of 0 still defers to the next task.
 */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  waitMs: number,
): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const run = (): void => {
    timer = undefined;
    const args = pending;
    pending = undefined;
    if (args) fn(...args);
  };
  const debounced = (...args: A): void => {
    pending = args;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, waitMs));
  };
  debounced.cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    pending = undefined;
  };
  debounced.flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    run();
  };
  return debounced;
}

/**
 * Runs async queries and hands back only the answer to the most recent one,
 * so a slow early answer never overwrites a fast later one.
 */
export class LatestOnly<T> {
  private seq = 0;

  /**
   * Start `query`. Resolves to `{ stale: false, value }` when it is still
   * the latest query when it settles, else `{ stale: true }`. Rejections of
   * the latest query are passed on; those of stale ones are swallowed.
   */
  async run(query: () => Promise<T>): Promise<{ stale: true } | { stale: false; value: T }> {
    this.seq += 1;
    const mine = this.seq;
    try {
      const value = await query();
      return mine === this.seq ? { stale: false, value } : { stale: true };
    } catch (err: unknown) {
      if (mine !== this.seq) return { stale: true };
      throw err;
    }
  }

  /** Make every query in flight stale (e.g. when the screen is left). */
  invalidate(): void {
    this.seq += 1;
  }
}
