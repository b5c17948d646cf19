/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The same policy as tauri.conf.json (minus the Tauri IPC origins), served
// by `vite preview` so the headless-Chromium check runs under it too.
const PREVIEW_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

// The Tauri shell loads ui/dist (see ../tauri.conf.json, build.frontendDist).
export default defineConfig({
  // Relative asset URLs so the bundle works from the Tauri custom protocol.
  base: "./",
  clearScreen: false,
  // Preact through esbuild's automatic JSX runtime (no framework plugin).
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Never inline assets as data: URLs for scripts/styles; keep everything
    // as separate 'self' files so the strict CSP applies cleanly.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  preview: {
    headers: { "Content-Security-Policy": PREVIEW_CSP },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    // Let the palette test read styles.css?raw (CSS is stubbed out by default).
    css: { include: [/styles\.css/] },
  },
});
