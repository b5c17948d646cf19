/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The Tauri shell loads ui/dist (see ../tauri.conf.json, build.frontendDist).
export default defineConfig({
  // Relative asset URLs so the bundle works from the Tauri custom protocol.
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Never inline assets as data: URLs for scripts/styles; keep everything
    // as separate 'self' files so the strict CSP applies cleanly.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
