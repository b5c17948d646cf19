/**
 * Pure geometry for the small SVG charts (outcome scores over time, report
 * bars). The components only turn these numbers into elements.
 */

/** A linear map from a domain to a range. */
export interface Scale {
  (value: number): number;
  /** The input interval. */
  readonly domain: readonly [number, number];
  /** The output interval. */
  readonly range: readonly [number, number];
}

/** A linear scale; a zero-width domain maps everything to the range's middle. */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = (v: number): number =>
    span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0);
  return Object.assign(f, { domain, range });
}

/**
 * "Nice" tick values covering [0, max] (max rounded up to 1, 2, 2.5 or 5
 * times a power of ten), about `count` of them. With `integers` (counts of
 * people, contacts...) the step is a whole number, at least 1.
 */
export function niceTicks(max: number, count = 4, integers = true): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const rough = max / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(rough));
  const found =
    [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough && (!integers || Number.isInteger(s))) ??
    10 * pow;
  const step = integers ? Math.max(1, Math.ceil(found)) : found;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v * 1000) / 1000);
  return ticks;
}

/** One point of a time series. */
export interface TimePoint {
  /** ISO date or date-time. */
  readonly at: string;
  /** The value. */
  readonly value: number;
}

/** Plot box in SVG user units. */
export interface Box {
  /** Total width. */
  readonly width: number;
  /** Total height. */
  readonly height: number;
  /** Inner padding: top, right, bottom, left. */
  readonly pad: readonly [number, number, number, number];
}

/** A series laid out in a box: the points in SVG coordinates and a path. */
export interface LaidOutSeries {
  /** Points in order of time. */
  readonly points: { x: number; y: number; at: string; value: number }[];
  /** An SVG path `d` through the points ("" when there are none). */
  readonly path: string;
}

/**
 * Lay out 1–10 scores over time. Scores outside 1–10 are clamped; points
 * with unreadable dates are dropped; a single date is centred.
 */
export function layoutScores(
  series: readonly TimePoint[],
  box: Box,
  timeDomain?: readonly [number, number],
): LaidOutSeries {
  const valid = series
    .map((p) => ({ t: Date.parse(p.at), p }))
    .filter((e) => Number.isFinite(e.t))
    .sort((a, b) => a.t - b.t);
  if (valid.length === 0) return { points: [], path: "" };
  const [top, right, bottom, left] = box.pad;
  const times = valid.map((e) => e.t);
  const domain = timeDomain ?? [Math.min(...times), Math.max(...times)];
  const x = linearScale(domain, [left, box.width - right]);
  const y = linearScale([1, 10], [box.height - bottom, top]);
  const points = valid.map((e) => {
    const v = Math.min(10, Math.max(1, e.p.value));
    return { x: round(x(e.t)), y: round(y(v)), at: e.p.at, value: v };
  });
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${String(p.x)},${String(p.y)}`).join(" ");
  return { points, path };
}

/** One bar of a bar chart, in SVG coordinates. */
export interface Bar {
  /** Category label. */
  readonly label: string;
  /** Value. */
  readonly value: number;
  /** Left edge. */
  readonly x: number;
  /** Top edge. */
  readonly y: number;
  /** Width. */
  readonly width: number;
  /** Height (0 for a zero value). */
  readonly height: number;
}

/** Lay out vertical bars for non-negative values; negatives are drawn as 0. */
export function layoutBars(
  data: readonly { label: string; value: number }[],
  box: Box,
  gap = 0.25,
): { bars: Bar[]; ticks: number[]; y: Scale } {
  const [top, right, bottom, left] = box.pad;
  const max = Math.max(0, ...data.map((d) => d.value));
  const ticks = niceTicks(max);
  const y = linearScale([0, ticks[ticks.length - 1] ?? 1], [box.height - bottom, top]);
  const inner = box.width - left - right;
  const slot = data.length > 0 ? inner / data.length : inner;
  // Few bars stay slim instead of filling the chart.
  const width = Math.min(slot * (1 - gap), 72);
  const bars = data.map((d, i) => {
    const v = Math.max(0, d.value);
    const yTop = y(v);
    return {
      label: d.label,
      value: d.value,
      x: round(left + i * slot + (slot - width) / 2),
      y: round(yTop),
      width: round(width),
      height: round(box.height - bottom - yTop),
    };
  });
  return { bars, ticks, y };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
