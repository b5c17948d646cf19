import { describe, expect, it } from "vitest";
import { layoutBars, layoutScores, linearScale, niceTicks, type Box } from "./chart";

const box: Box = { width: 200, height: 110, pad: [10, 0, 10, 0] };

describe("linearScale", () => {
  it("maps the domain onto the range, inverted ranges too", () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(10)).toBe(0);
    expect(s(2.5)).toBe(75);
  });

  it("maps a zero-width domain to the middle", () => {
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
  });
});

describe("niceTicks", () => {
  it("covers the maximum with round steps from zero", () => {
    expect(niceTicks(882)).toEqual([0, 250, 500, 750, 1000]);
    expect(niceTicks(15)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1, 4, false)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it("has a sensible answer for nothing", () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });
});

describe("layoutScores", () => {
  it("puts 1 at the bottom and 10 at the top, oldest on the left", () => {
    const out = layoutScores(
      [
        { at: "2026-03-01", value: 10 },
        { at: "2026-01-01", value: 1 },
      ],
      box,
    );
    expect(out.points.map((p) => [p.x, p.y])).toEqual([
      [0, 100],
      [200, 10],
    ]);
    expect(out.path).toBe("M0,100 L200,10");
  });

  it("clamps scores outside 1–10 and drops unreadable dates", () => {
    const out = layoutScores(
      [
        { at: "2026-01-01", value: 14 },
        { at: "not a date", value: 5 },
        { at: "2026-02-01", value: -3 },
      ],
      box,
    );
    expect(out.points.map((p) => p.value)).toEqual([10, 1]);
  });

  it("centres a single point and draws nothing for no points", () => {
    expect(layoutScores([{ at: "2026-01-01", value: 5.5 }], box).points[0]?.x).toBe(100);
    expect(layoutScores([], box)).toEqual({ points: [], path: "" });
  });
});

describe("layoutBars", () => {
  it("scales bar heights to the top tick and keeps zero bars flat", () => {
    const { bars, ticks } = layoutBars(
      [
        { label: "a", value: 15 },
        { label: "b", value: 0 },
        { label: "c", value: 5 },
      ],
      box,
    );
    expect(ticks[ticks.length - 1]).toBe(15);
    expect(bars.map((b) => b.height)).toEqual([90, 0, 30]);
    expect(bars[0]?.y).toBe(10);
    expect(bars.every((b) => b.x >= 0 && b.x + b.width <= 200)).toBe(true);
  });

  it("draws negative values as zero", () => {
    expect(layoutBars([{ label: "x", value: -4 }], box).bars[0]?.height).toBe(0);
  });
});
