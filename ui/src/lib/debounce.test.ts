import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounce, LatestOnly, SEARCH_DEBOUNCE_MS } from "./debounce";

describe("debounce", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps the search debounce at or under 50 ms", () => {
    expect(SEARCH_DEBOUNCE_MS).toBeGreaterThan(0);
    expect(SEARCH_DEBOUNCE_MS).toBeLessThanOrEqual(50);
  });

  it("runs once, with the last arguments, after the wait", () => {
    const fn = vi.fn<(q: string) => void>();
    const d = debounce(fn, SEARCH_DEBOUNCE_MS);
    d("j");
    d("jo");
    d("jo e");
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith("jo e");
  });

  it("restarts the wait on every call", () => {
    const fn = vi.fn<(q: string) => void>();
    const d = debounce(fn, 40);
    d("a");
    vi.advanceTimersByTime(30);
    d("ab");
    vi.advanceTimersByTime(30);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10);
    expect(fn).toHaveBeenCalledExactlyOnceWith("ab");
  });

  it("flush runs the pending call now; cancel drops it", () => {
    const fn = vi.fn<(q: string) => void>();
    const d = debounce(fn, 40);
    d("x");
    d.flush();
    expect(fn).toHaveBeenCalledExactlyOnceWith("x");
    d("y");
    d.cancel();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
    d.flush();
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe("LatestOnly", () => {
  it("drops the answer of a slow earlier query", async () => {
    const latest = new LatestOnly<string>();
    let releaseSlow: (v: string) => void = () => undefined;
    const slow = latest.run(() => new Promise<string>((r) => (releaseSlow = r)));
    const fast = latest.run(() => Promise.resolve("fast"));
    releaseSlow("slow");
    expect(await fast).toEqual({ stale: false, value: "fast" });
    expect(await slow).toEqual({ stale: true });
  });

  it("passes on errors of the latest query only", async () => {
    const latest = new LatestOnly<string>();
    const old = latest.run(() => Promise.reject(new Error("old")));
    const now = latest.run(() => Promise.reject(new Error("now")));
    await expect(old).resolves.toEqual({ stale: true });
    await expect(now).rejects.toThrow("now");
  });

  it("invalidate makes queries in flight stale", async () => {
    const latest = new LatestOnly<number>();
    const p = latest.run(() => Promise.resolve(1));
    latest.invalidate();
    expect(await p).toEqual({ stale: true });
  });
});
