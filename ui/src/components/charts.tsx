/**
 * Inline SVG charts built in code (no chart library, no inline styles:
 * colours come from CSS classes).
 */
import type { JSX } from "preact";
import { layoutBars, layoutScores, type Box } from "../lib/chart";
import { shortDate } from "../lib/format";

/** One line of the scores chart. */
export interface ScoreSeries {
  /** Area label. */
  label: string;
  /** Points. */
  points: { at: string; value: number }[];
}

/** 1–10 progress per outcome area over time. */
export function ScoreChart(props: { series: readonly ScoreSeries[]; title: string }): JSX.Element {
  const box: Box = { width: 520, height: 230, pad: [12, 14, 26, 26] };
  const times = props.series.flatMap((s) => s.points.map((p) => Date.parse(p.at))).filter(Number.isFinite);
  const domain: [number, number] = times.length > 0 ? [Math.min(...times), Math.max(...times)] : [0, 1];
  const laid = props.series.map((s) => layoutScores(s.points, box, domain));
  const yFor = (v: number): number => box.height - box.pad[2] - ((v - 1) / 9) * (box.height - box.pad[0] - box.pad[2]);
  const first = times.length > 0 ? new Date(domain[0]).toISOString() : null;
  const last = times.length > 0 ? new Date(domain[1]).toISOString() : null;
  return (
    <figure class="stack">
      <svg class="chart" viewBox={`0 0 ${String(box.width)} ${String(box.height)}`} role="img" aria-label={props.title} data-test="plan-chart">
        <title>{props.title}</title>
        {[1, 4, 7, 10].map((v) => (
          <g key={v}>
            <line class="grid" x1={box.pad[3]} x2={box.width - box.pad[1]} y1={yFor(v)} y2={yFor(v)} />
            <text x={box.pad[3] - 8} y={yFor(v) + 4} text-anchor="end">
              {v}
            </text>
          </g>
        ))}
        {first !== null && last !== null ? (
          <>
            <text x={box.pad[3]} y={box.height - 8}>
              {shortDate(first)}
            </text>
            <text x={box.width - box.pad[1]} y={box.height - 8} text-anchor="end">
              {shortDate(last)}
            </text>
          </>
        ) : null}
        {laid.map((s, i) => (
          <g key={props.series[i]?.label ?? i}>
            <path class={`line series-${String((i % 5) + 1)}`} d={s.path} />
            {s.points.map((p) => (
              <circle key={p.at} class={`series-${String((i % 5) + 1)}`} cx={p.x} cy={p.y} r={3.5}>
                <title>
                  {props.series[i]?.label}: {p.value} on {shortDate(p.at)}
                </title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption>
        <ul class="legend">
          {props.series.map((s, i) => {
            const lastPoint = s.points[s.points.length - 1];
            return (
              <li key={s.label}>
                <span class={`legend__swatch series-${String((i % 5) + 1)}`} aria-hidden="true" />
                {s.label}
                {lastPoint ? ` — now ${String(lastPoint.value)}` : ""}
              </li>
            );
          })}
        </ul>
      </figcaption>
    </figure>
  );
}

/** A vertical bar chart with value labels. */
export function BarChart(props: {
  data: readonly { label: string; value: number }[];
  title: string;
  test?: string;
  height?: number;
  series?: 1 | 2 | 3 | 4 | 5;
}): JSX.Element {
  const box: Box = { width: 520, height: props.height ?? 220, pad: [20, 6, 30, 34] };
  const { bars, ticks, y } = layoutBars(props.data, box);
  const manyBars = bars.length > 8;
  return (
    <svg class="chart" viewBox={`0 0 ${String(box.width)} ${String(box.height)}`} role="img" aria-label={props.title} data-test={props.test}>
      <title>{props.title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line class="grid" x1={box.pad[3]} x2={box.width - box.pad[1]} y1={y(t)} y2={y(t)} />
          <text x={box.pad[3] - 6} y={y(t) + 4} text-anchor="end">
            {t}
          </text>
        </g>
      ))}
      {bars.map((b, i) => (
        <g key={b.label}>
          <rect class={`bar series-${String(props.series ?? 1)}`} x={b.x} y={b.y} width={b.width} height={b.height} rx={2}>
            <title>
              {b.label}: {b.value}
            </title>
          </rect>
          {!manyBars || b.width > 22 ? (
            <text class="bar-label" x={b.x + b.width / 2} y={b.y - 4} text-anchor="middle">
              {b.value}
            </text>
          ) : null}
          {!manyBars || i % 2 === 0 ? (
            <text x={b.x + b.width / 2} y={box.height - 12} text-anchor="middle">
              {b.label}
            </text>
          ) : null}
        </g>
      ))}
      <line class="axis" x1={box.pad[3]} x2={box.width - box.pad[1]} y1={box.height - box.pad[2]} y2={box.height - box.pad[2]} />
    </svg>
  );
}
