/**
 * Entry point. Inside the Tauri shell the real back end is used; in a plain
 * browser (preview, headless Chromium) the in-memory stand-in with made-up
 * data is loaded instead (`?fresh` starts it with no store, to show the
 * first-run screen, `?idle=0.05` a 3-second idle lock, `?clients=50000` a
 * bigger made-up caseload).
 */
import { render } from "preact";
import { inShell, useBackend } from "./api";
import { App } from "./app/App";
import { setTheme, theme } from "./app/state";

async function start(): Promise<void> {
  setTheme(theme.value);
  if (!inShell()) {
    const { createStandin } = await import("./standin");
    const params = new URLSearchParams(location.search);
    const clients = Number(params.get("clients") ?? "3000");
    const idle = Number(params.get("idle") ?? "10");
    useBackend(
      createStandin({
        fresh: params.has("fresh"),
        clients: Number.isFinite(clients) && clients > 0 ? Math.min(clients, 100_000) : 3000,
        idleLockMinutes: Number.isFinite(idle) && idle >= 0 ? idle : 10,
      }),
    );
  }
  const root = document.getElementById("app");
  if (root === null) throw new Error("index.html has no #app element");
  render(<App />, root);
}

void start();
