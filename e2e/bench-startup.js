// Start-up benchmark of the real app: time from launching the app to an
// unlocked caseload on screen, repeated --runs times on one store.
//
//   node bench-startup.js --data-dir DIR --passphrase-env OUTREACH_PASSPHRASE [--runs 7] [--json]
//
// Each run launches the app through tauri-driver (the WebDriver "new session"
// request is what starts the process), then measures, without WebDriver
// round trips in the timed parts:
//   launch  = from just before the launch request until the unlock
//             passphrase field is on screen (found by a requestAnimationFrame
//             loop in the page, timed against the page's performance clock),
//             split into "process and web view" (until the page's time
//             origin, i.e. the web view starting to load it) and "page"
//             (scripts, the app_status call, first render);
//   unlock  = from the click on Unlock until the first caseload row is
//             visible (one in-page script: click, then a rAF loop);
//   total   = launch + unlock, i.e. everything but the worker's typing.
// The passphrase is typed through WebDriver between the two, untimed.

import { parseArgs } from "node:util";
import { launchApp, screenshot, shown } from "./lib/harness.js";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string" },
    "passphrase-env": { type: "string", default: "OUTREACH_PASSPHRASE" },
    runs: { type: "string", default: "7" },
    json: { type: "boolean", default: false },
    screenshot: { type: "string" },
  },
});
const dataDir = values["data-dir"];
const passphrase = process.env[values["passphrase-env"]];
const runs = Number(values.runs);
if (!dataDir || !passphrase || !(runs > 0)) {
  console.error("usage: node bench-startup.js --data-dir DIR [--passphrase-env VAR] [--runs N] [--json]");
  console.error("the store's passphrase is read from the environment variable named by --passphrase-env");
  process.exit(2);
}

// Resolves with the page-clock time at which a visible element matching
// `selector` was first seen, checking once per animation frame.
const WAIT_VISIBLE = `
const [selector, limitMs, done] = arguments;
const start = performance.now();
const visible = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
const tick = () => {
  const el = document.querySelector(selector);
  if (visible(el)) { done({ seenAt: performance.timeOrigin + performance.now(), timeOrigin: performance.timeOrigin }); return; }
  if (performance.now() - start > limitMs) { done({ error: "timed out waiting for " + selector }); return; }
  requestAnimationFrame(tick);
};
tick();`;

// Clicks Unlock, then resolves with the milliseconds until the first
// caseload row is visible (or with the error text the window shows).
const UNLOCK_TO_CASELOAD = `
const [limitMs, done] = arguments;
const visible = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
const button = document.querySelector('[data-test="unlock-submit"]');
const start = performance.now();
button.click();
const tick = () => {
  const row = document.querySelector('[data-test="caseload-row"]');
  if (visible(row)) { done({ ms: performance.now() - start, rows: document.querySelectorAll('[data-test="caseload-row"]').length }); return; }
  const err = document.querySelector('[data-test="unlock-error"]');
  if (visible(err) && err.textContent.trim()) { done({ error: "unlock failed: " + err.textContent.trim() }); return; }
  if (performance.now() - start > limitMs) { done({ error: "timed out waiting for the caseload" }); return; }
  requestAnimationFrame(tick);
};
tick();`;

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, worst: s[s.length - 1], best: s[0] };
}

const results = [];
for (let i = 0; i < runs; i += 1) {
  const app = await launchApp({ dataDir, label: `bench${i}` });
  try {
    const { driver } = app;
    const seen = await driver.executeAsyncScript(WAIT_VISIBLE, '[data-test="unlock-passphrase"]', 30000);
    if (seen.error) throw new Error(seen.error);
    const launch = seen.seenAt - app.requestedAt;
    // Of which: until the web view started loading the page, then the page
    // itself (scripts, the app_status call, first render).
    const toPage = seen.timeOrigin - app.requestedAt;
    const field = await shown(driver, "unlock-passphrase");
    await field.sendKeys(passphrase);
    const unlocked = await driver.executeAsyncScript(UNLOCK_TO_CASELOAD, 30000);
    if (unlocked.error) throw new Error(unlocked.error);
    if (values.screenshot && i === runs - 1) await screenshot(driver, values.screenshot);
    const run = {
      run: i + 1,
      launchMs: launch,
      toPageMs: toPage,
      pageMs: launch - toPage,
      unlockMs: unlocked.ms,
      totalMs: launch + unlocked.ms,
      rows: unlocked.rows,
    };
    results.push(run);
    if (!values.json) {
      console.log(
        `run ${run.run}: launch→unlock screen ${run.launchMs.toFixed(0)} ms (process and web view ${run.toPageMs.toFixed(0)}, page ${run.pageMs.toFixed(0)}), unlock→caseload ${run.unlockMs.toFixed(0)} ms, total ${run.totalMs.toFixed(0)} ms (${run.rows} rows shown)`,
      );
    }
  } finally {
    await app.stop();
  }
}

const summary = {
  runs,
  launch: stats(results.map((r) => r.launchMs)),
  toPage: stats(results.map((r) => r.toPageMs)),
  page: stats(results.map((r) => r.pageMs)),
  unlock: stats(results.map((r) => r.unlockMs)),
  total: stats(results.map((r) => r.totalMs)),
  results,
};
if (values.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  const f = (s) => `median ${s.median.toFixed(0)} ms, worst ${s.worst.toFixed(0)} ms, best ${s.best.toFixed(0)} ms`;
  console.log(`launch → unlock screen:  ${f(summary.launch)}`);
  console.log(`  process + web view:    ${f(summary.toPage)}`);
  console.log(`  page to unlock field:  ${f(summary.page)}`);
  console.log(`unlock → caseload shown: ${f(summary.unlock)}`);
  console.log(`total (no typing):       ${f(summary.total)}`);
}
