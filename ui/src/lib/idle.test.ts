import { describe, expect, it, vi } from "vitest";
import { IdleLock, type IdleClock } from "./idle";

/** A manual clock: timers fire only when `advance` passes them. */
function fakeClock(): IdleClock & { advance(ms: number): void } {
  let t = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let seq = 0;
  return {
    now: () => t,
    setTimer(fn, ms) {
      seq += 1;
      timers.push({ at: t + ms, fn, id: seq });
      return seq;
    },
    clearTimer(h) {
      timers = timers.filter((x) => x.id !== h);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const next = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((x) => x !== next);
        t = next.at;
        next.fn();
      }
      t = end;
    },
  };
}

describe("IdleLock", () => {
  it("locks once after the idle time with no activity", () => {
    const clock = fakeClock();
    const onIdle = vi.fn();
    const lock = new IdleLock(5, onIdle, clock);
    lock.start();
    clock.advance(5 * 60_000 - 1);
    expect(onIdle).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    clock.advance(60 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("activity pushes the lock back", () => {
    const clock = fakeClock();
    const onIdle = vi.fn();
    const lock = new IdleLock(2, onIdle, clock);
    lock.start();
    clock.advance(90_000);
    lock.activity();
    clock.advance(90_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(lock.remainingMs()).toBe(30_000);
    clock.advance(30_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("0 minutes never locks; stop cancels", () => {
    const clock = fakeClock();
    const onIdle = vi.fn();
    const off = new IdleLock(0, onIdle, clock);
    off.start();
    clock.advance(24 * 3_600_000);
    expect(off.remainingMs()).toBe(Number.POSITIVE_INFINITY);
    const stopped = new IdleLock(1, onIdle, clock);
    stopped.start();
    stopped.stop();
    clock.advance(10 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it("a shorter idle time takes effect from the last activity", () => {
    const clock = fakeClock();
    const onIdle = vi.fn();
    const lock = new IdleLock(30, onIdle, clock);
    lock.start();
    clock.advance(4 * 60_000);
    lock.setMinutes(5);
    clock.advance(60_000 - 1);
    expect(onIdle).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});
