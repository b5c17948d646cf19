/**
 * The UI side of the idle lock: after a set time with no keyboard, pointer
 * or touch activity, call `onIdle` (which locks the store and clears the
 * screen). The back end also locks itself; this makes sure the screen is
 * cleared at the same moment even if no command is sent.
 */

/** Clock and timer functions, replaceable in tests. */
export interface IdleClock {
  /** Milliseconds since an arbitrary epoch. */
  now(): number;
  /** Like `setTimeout`. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Like `clearTimeout`. */
  clearTimer(handle: unknown): void;
}

const realClock: IdleClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => {
    clearTimeout(h as ReturnType<typeof setTimeout>);
  },
};

/** Counts down to an idle lock; `activity()` restarts the count. */
export class IdleLock {
  private last: number;
  private handle: unknown;
  private limitMs: number;
  private running = false;

  /**
   * @param minutes idle minutes before locking; 0 or less turns the lock off
   * @param onIdle called once when the time runs out
   */
  constructor(
    minutes: number,
    private readonly onIdle: () => void,
    private readonly clock: IdleClock = realClock,
  ) {
    this.limitMs = minutesToMs(minutes);
    this.last = clock.now();
  }

  /** Start (or restart) counting from now. */
  start(): void {
    this.running = true;
    this.last = this.clock.now();
    this.schedule(this.limitMs);
  }

  /** Stop counting (e.g. once locked). */
  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.clock.clearTimer(this.handle);
    this.handle = undefined;
  }

  /** Record user activity. Cheap: only stores the time. */
  activity(): void {
    this.last = this.clock.now();
  }

  /** Change the idle time; takes effect from the last activity. */
  setMinutes(minutes: number): void {
    this.limitMs = minutesToMs(minutes);
    if (this.running) this.schedule(Math.max(0, this.last + this.limitMs - this.clock.now()));
  }

  /** Milliseconds left before locking, or `Infinity` when the lock is off. */
  remainingMs(): number {
    if (this.limitMs <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.last + this.limitMs - this.clock.now());
  }

  private schedule(ms: number): void {
    if (this.handle !== undefined) this.clock.clearTimer(this.handle);
    this.handle = undefined;
    if (this.limitMs <= 0 || !this.running) return;
    this.handle = this.clock.setTimer(() => {
      this.check();
    }, ms);
  }

  private check(): void {
    this.handle = undefined;
    if (!this.running) return;
    const left = this.remainingMs();
    if (left <= 0) {
      this.stop();
      this.onIdle();
    } else {
      this.schedule(left);
    }
  }
}

function minutesToMs(minutes: number): number {
  return Number.isFinite(minutes) && minutes > 0 ? Math.round(minutes * 60_000) : 0;
}
