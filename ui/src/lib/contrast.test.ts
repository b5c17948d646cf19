import { describe, expect, it } from "vitest";
import css from "../styles.css?raw";
import { contrast, paletteOf, parseHex } from "./contrast";

const THEMES = {
  day: paletteOf(css, ':root[data-theme="day"]'),
  night: paletteOf(css, ':root[data-theme="night"]'),
  "street count": paletteOf(css, ".night-dim"),
};

// Text on backgrounds a worker reads: 4.5:1 (WCAG AA body text).
const TEXT_PAIRS: [string, string][] = [
  ["fg", "bg"],
  ["fg", "surface"],
  ["fg", "surface-2"],
  ["muted", "surface"],
  ["muted", "bg"],
  ["accent-fg", "accent"],
  ["danger", "danger-soft"],
  ["danger", "surface"],
  ["warn", "warn-soft"],
  ["ok", "ok-soft"],
  ["accent", "surface"],
];

describe("theme palettes", () => {
  it("reads three different palettes from styles.css", () => {
    expect(THEMES.day.bg).toBe("#f3f4f6");
    expect(THEMES.night.bg).toBe("#0e1318");
    expect(THEMES["street count"].bg).toBe("#07090b");
    expect(paletteOf("a {}\n.x { --c: #fff; }", ".missing")).toEqual({});
  });

  it("parses colours and computes known ratios", () => {
    expect(parseHex("#fff")).toEqual([255, 255, 255]);
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777", "#777")).toBeCloseTo(1, 5);
  });

  for (const [name, palette] of Object.entries(THEMES)) {
    it(`${name} theme text meets 4.5:1`, () => {
      expect(Object.keys(palette).length).toBeGreaterThan(10);
      for (const [fg, bg] of TEXT_PAIRS) {
        const a = palette[fg];
        const b = palette[bg];
        expect(a, `${name} --${fg}`).toBeDefined();
        expect(b, `${name} --${bg}`).toBeDefined();
        const ratio = contrast(a ?? "", b ?? "");
        expect(ratio, `${name}: --${fg} on --${bg} is ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(4.5);
      }
    });

    it(`${name} theme focus ring stands out (3:1)`, () => {
      expect(contrast(palette.focus ?? "", palette.bg ?? "")).toBeGreaterThanOrEqual(3);
      expect(contrast(palette.focus ?? "", palette.surface ?? "")).toBeGreaterThanOrEqual(3);
    });
  }
});
