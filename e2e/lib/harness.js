// Drives the real Outreach window: starts tauri-driver (which starts
// WebKitWebDriver, which starts the app binary) in its own process group,
// opens a WebDriver session through selenium-webdriver, and always tears the
// whole group down again, even when a test fails.
//
// Environment (set by scripts/e2e.sh):
//   OUTREACH_APP_BIN  absolute path of the built `outreach-app` binary
//   TAURI_DRIVER      tauri-driver binary (default: `tauri-driver` on PATH)
//   E2E_SCREENSHOTS   folder for screenshots (default: e2e/screenshots)
//   E2E_PGID_FILE     file to which every started process group id is
//                     appended, so the shell wrapper can kill them if Node dies
//   E2E_LOG_DIR       folder for tauri-driver's logs (default: os tmpdir)

import { execFile, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Builder, By, Capabilities, Key, until } from "selenium-webdriver";

export { By, Key, until };

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");

/** Default time to wait for something to appear on screen (ms). */
export const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 20000);

/** How often waits re-check the page (ms). */
const POLL_MS = 50;

/** Absolute path of the app binary under test. */
export function appBinary() {
  if (process.env.OUTREACH_APP_BIN) return resolve(process.env.OUTREACH_APP_BIN);
  const target = process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target");
  return resolve(target, "debug", "outreach-app");
}

/** Folder screenshots are written to (created if missing). */
export function screenshotDir() {
  const dir = resolve(process.env.E2E_SCREENSHOTS ?? join(repoRoot, "e2e", "screenshots"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh, private data folder for one app run; removed by the returned cleanup. */
export function freshDataDir(label) {
  const base = process.env.E2E_TMP ?? tmpdir();
  const dir = mkdtempSync(join(base, `outreach-e2e-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForDriver(url, child, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`tauri-driver exited with code ${child.exitCode} before it was ready`);
    }
    try {
      const r = await fetch(`${url}status`);
      if (r.ok) return;
      last = new Error(`status ${r.status}`);
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`tauri-driver did not answer on ${url} within ${ms} ms: ${last}`);
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

async function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([new Promise((res) => child.once("exit", () => res(true))), sleep(ms).then(() => false)]);
}

/**
 * Starts the app with `OUTREACH_DATA_DIR=dataDir` and opens a WebDriver
 * session on its window. Returns `{ driver, requestedAt, launchMs, stop }`
 * (`requestedAt`: epoch ms just before the launch request; `launchMs`: how
 * long the new-session request took, which starts the app); `stop()` quits
 * the session and kills tauri-driver, WebKitWebDriver and the app.
 */
export async function launchApp({ dataDir, label = "app", env = {} }) {
  const app = appBinary();
  try {
    statSync(app);
  } catch {
    throw new Error(`the app binary ${app} does not exist: run scripts/e2e.sh (it builds it) or set OUTREACH_APP_BIN`);
  }
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const logDir = process.env.E2E_LOG_DIR ?? tmpdir();
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `tauri-driver-${label}-${port}.log`);
  const log = openSync(logPath, "a");
  const child = spawn(process.env.TAURI_DRIVER ?? "tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    detached: true, // own process group: the app and WebKitWebDriver join it
    stdio: ["ignore", log, log],
    env: { ...process.env, OUTREACH_DATA_DIR: dataDir, ...env },
  });
  if (process.env.E2E_PGID_FILE) appendFileSync(process.env.E2E_PGID_FILE, `${child.pid}\n`);
  const spawnError = new Promise((_, rej) => child.once("error", rej));
  spawnError.catch(() => {});

  const stop = async () => {
    if (driver) {
      await Promise.race([driver.quit().catch(() => {}), sleep(5000)]);
    }
    killGroup(child, "SIGTERM");
    if (!(await waitExit(child, 3000))) killGroup(child, "SIGKILL");
    // The app may outlive tauri-driver in the same group: make sure it is gone.
    await sleep(100);
    killGroup(child, "SIGKILL");
  };

  let driver;
  try {
    const url = `http://127.0.0.1:${port}/`;
    await Promise.race([waitForDriver(url, child, 15000), spawnError]);
    const caps = new Capabilities();
    caps.setBrowserName("wry");
    caps.set("tauri:options", { application: app });
    const started = performance.now();
    const requestedAt = performance.timeOrigin + started;
    driver = await new Builder().withCapabilities(caps).usingServer(url).build();
    const launchMs = performance.now() - started;
    await driver.manage().setTimeouts({ script: 10000, pageLoad: 15000, implicit: 0 });
    return { driver, requestedAt, launchMs, stop, logPath };
  } catch (e) {
    await stop();
    let tail = "";
    try {
      tail = readFileSync(logPath, "utf8").split("\n").slice(-20).join("\n");
    } catch {
      // no log
    }
    throw new Error(`could not start the app through tauri-driver: ${e.message}\n--- ${logPath} ---\n${tail}`);
  }
}

/** CSS selector for a `data-test` name. */
export function sel(name) {
  return By.css(`[data-test="${name}"]`);
}

/** Waits until an element with this `data-test` name is present and visible, and returns it. */
export async function shown(driver, name, ms = WAIT_MS) {
  const el = await driver.wait(until.elementLocated(sel(name)), ms, `"${name}" never appeared`, POLL_MS);
  await driver.wait(until.elementIsVisible(el), ms, `"${name}" appeared but stayed hidden`, POLL_MS);
  return el;
}

/** All visible elements with this `data-test` name (possibly none). */
export async function allShown(driver, name) {
  const els = await driver.findElements(sel(name));
  const out = [];
  for (const el of els) {
    try {
      if (await el.isDisplayed()) out.push(el);
    } catch {
      // went stale while we looked
    }
  }
  return out;
}

/** True when no visible element with this `data-test` name is on screen. */
export async function notShown(driver, name) {
  return (await allShown(driver, name)).length === 0;
}

/** Waits until no visible element carries this `data-test` name. */
export async function gone(driver, name, ms = WAIT_MS) {
  await driver.wait(async () => notShown(driver, name), ms, `"${name}" did not go away`, POLL_MS);
}

/** Waits until a condition on the page is true; `what` names it in the failure. */
export async function waitFor(driver, fn, what, ms = WAIT_MS) {
  return driver.wait(async () => {
    try {
      return await fn();
    } catch {
      return false;
    }
  }, ms, `timed out waiting for ${what}`, POLL_MS);
}

/**
 * Replaces the text of a field (by `data-test` name) the way a person does:
 * select all, delete, type. (WebDriver's clear() fires no input event, which
 * controlled inputs need.)
 */
export async function fill(driver, name, text) {
  const el = await shown(driver, name);
  await el.click();
  await el.sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
  if (text) await el.sendKeys(text);
  return el;
}

/**
 * Ticks a checkbox or radio button by `data-test` name. Styled radios hide
 * the input itself, so the click goes to its label when the input is not
 * visible; then checks that it is ticked.
 */
export async function pick(driver, name, ms = WAIT_MS) {
  const el = await driver.wait(until.elementLocated(sel(name)), ms, `"${name}" never appeared`, POLL_MS);
  if ((await el.isDisplayed()) && (await el.isEnabled())) {
    await el.click();
  } else {
    const label = await driver.executeScript("return arguments[0].closest('label')", el);
    if (!label) throw new Error(`"${name}" is hidden and has no label to click`);
    await label.click();
  }
  await driver.wait(async () => el.isSelected(), ms, `"${name}" did not get ticked`, POLL_MS);
  return el;
}

/** Clicks a visible element by `data-test` name. */
export async function click(driver, name) {
  const el = await shown(driver, name);
  await driver.wait(until.elementIsEnabled(el), WAIT_MS, `"${name}" stayed disabled`, POLL_MS);
  await el.click();
  return el;
}

/** Picks an option in a `<select>` (by `data-test` name) by its value or visible text. */
export async function choose(driver, name, valueOrText) {
  const el = await shown(driver, name);
  const options = await el.findElements(By.css("option"));
  for (const o of options) {
    const value = await o.getAttribute("value");
    const text = (await o.getText()).trim();
    if (value === valueOrText || text === valueOrText) {
      await o.click();
      return el;
    }
  }
  throw new Error(`"${name}" has no option "${valueOrText}"`);
}

/** The visible text of the whole window. */
export async function pageText(driver) {
  return driver.findElement(By.css("body")).getText();
}

/** The visible text of one element by `data-test` name. */
export async function textOf(driver, name, ms = WAIT_MS) {
  return (await shown(driver, name, ms)).getText();
}

/**
 * Saves a screenshot of the window as `<screenshots>/<name>.png` and checks
 * it was really written (PNG signature, not empty). Returns the path.
 *
 * The picture is taken of the X display with ImageMagick's `import`, not
 * through WebDriver: WebKitWebDriver's screenshot command sometimes never
 * answers here (it waits for a rendering update), which hangs the session.
 * The display has no window manager, so the picture is the app's window.
 */
export async function screenshot(driver, name) {
  const file = join(screenshotDir(), `${name}.png`);
  // Let the last input's rendering reach the screen first.
  await driver.executeAsyncScript("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));");
  await run("import", ["-display", process.env.DISPLAY ?? ":0", "-window", "root", `png:${file}`], 15000);
  const head = readFileSync(file).subarray(0, 8).toString("hex");
  if (head !== "89504e470d0a1a0a" || statSync(file).size < 1000) {
    throw new Error(`screenshot ${file} was not written as a PNG`);
  }
  return file;
}

function run(cmd, args, timeout) {
  return new Promise((res, rej) => {
    execFile(cmd, args, { timeout }, (err, _stdout, stderr) => {
      if (err) rej(new Error(`${cmd} failed: ${err.message} ${stderr}`));
      else res();
    });
  });
}
