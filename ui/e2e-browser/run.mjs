// Headless-Chromium check of the BUILT UI (ui/dist) against the in-memory
// stand-in back end, under the same strict CSP as the app (served by
// `vite preview`, see vite.config.ts). Fails on any console error, page
// error, CSP violation or request to anywhere but the preview server.
//
//   npm run test:browser          (builds first)
//   node e2e-browser/run.mjs      (uses the existing dist/)
//
// Screenshots go to e2e-browser/screenshots/ (not committed).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = join(here, "..");
const shots = join(here, "screenshots");
const port = Number(process.env.E2E_PORT ?? 4179);
const base = `http://127.0.0.1:${String(port)}/`;
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PASSPHRASE = "made up demo data only";

if (!existsSync(join(uiDir, "dist", "index.html"))) {
  console.error("ui/dist is missing: run `npm run build` first (or `npm run test:browser`).");
  process.exit(2);
}
if (!existsSync(chromiumPath)) {
  console.error(`${chromiumPath} is missing: install it with \`apt-get install -y chromium\` or set CHROMIUM.`);
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const preview = spawn(
  process.execPath,
  [join(uiDir, "node_modules", "vite", "bin", "vite.js"), "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
  { cwd: uiDir, stdio: ["ignore", "pipe", "pipe"] },
);
let previewLog = "";
preview.stdout.on("data", (d) => (previewLog += String(d)));
preview.stderr.on("data", (d) => (previewLog += String(d)));

const problems = [];
const steps = [];
let browser;

function step(name) {
  steps.push(name);
  console.log(`• ${name}`);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function waitForServer() {
  for (let i = 0; i < 100; i += 1) {
    try {
      const r = await fetch(base);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vite preview did not start on ${base}:\n${previewLog}`);
}

function watch(page, label) {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`[${label}] console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`[${label}] page error: ${err.message}`));
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(base) && !url.startsWith("data:")) problems.push(`[${label}] request to ${url}`);
  });
}

const t = (name) => `[data-test="${name}"]`;

/** Every visible form control must have a label (or an aria label). */
async function checkLabels(page, where) {
  const unlabelled = await page.$$eval("input, select, textarea", (els) =>
    els
      .filter((el) => el.offsetParent !== null || el.type === "radio" || el.type === "checkbox")
      .filter((el) => el.type !== "hidden")
      .filter((el) => (el.labels?.length ?? 0) === 0 && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
      .map((el) => el.getAttribute("data-test") ?? el.outerHTML.slice(0, 80)),
  );
  check(unlabelled.length === 0, `${where}: controls without a label: ${unlabelled.join(", ")}`);
}

async function shot(page, name) {
  await checkLabels(page, name);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

try {
  await waitForServer();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
  const page = await context.newPage();
  watch(page, "main");
  page.setDefaultTimeout(5000);

  step("unlock screen shows no client data; a wrong passphrase is explained");
  await page.goto(base);
  await page.waitForSelector(t("unlock-passphrase"));
  await shot(page, "01-unlock");
  await page.fill(t("unlock-passphrase"), "not the passphrase");
  await page.click(t("unlock-submit"));
  await page.waitForSelector(t("unlock-error"));
  const wrong = await page.textContent(t("unlock-error"));
  check(/did not unlock/i.test(wrong ?? ""), `wrong passphrase message, got ${wrong}`);

  step("unlock");
  await page.fill(t("unlock-passphrase"), PASSPHRASE);
  await page.click(t("unlock-submit"));
  await page.waitForSelector(t("caseload-row"));
  const count = await page.textContent(t("caseload-count"));
  check(/of [\d,]+ clients/.test(count ?? ""), `caseload count shown, got ${count}`);
  await page.waitForFunction(() => /Synced|Never synced|Offline/.test(document.querySelector('[data-test="sync-status"]')?.textContent ?? ""));
  await shot(page, "02-caseload");

  step("add a client");
  await page.click(t("client-add"));
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-test") === "client-name");
  await page.keyboard.type("Testy Exampleperson");
  await page.fill(t("client-aliases"), "Tez");
  await page.fill(t("client-dob"), "1988-04-12");
  await page.selectOption(t("client-area"), "Wirral");
  await page.check(t("client-need-mental_health"));
  await page.check(t("client-need-substance_use"));
  await page.fill(t("client-flags"), "Do not visit alone");
  await page.click(t("client-save"));
  await page.waitForSelector(t("client-name-heading"));
  check((await page.textContent(t("client-name-heading"))) === "Testy Exampleperson", "new client heading");
  check(/Do not visit alone/.test((await page.textContent(t("client-flags"))) ?? ""), "safety flag in view");
  check(/Eligible/.test((await page.textContent(t("client-eligibility"))) ?? ""), "eligibility met");
  const clientUrl = page.url();
  await shot(page, "03-client");

  step("edit the safety flags and record a consent decision");
  await page.click(t("client-edit"));
  await page.fill(t("client-edit-flags"), "Do not visit alone\nDog on site: ask before approaching");
  await page.click(t("client-edit-save"));
  await page.waitForSelector(`${t("client-flags")} >> text=Dog on site`);
  await page.click(t("consent-open"));
  await page.selectOption(t("consent-purpose"), "referral");
  await page.fill(t("consent-agency"), "Housing First");
  await page.click(t("consent-save"));
  await page.waitForSelector(`${t("consent-form")} .field__error`);
  await page.check(t("consent-given-yes"));
  await page.click(t("consent-save"));
  await page.waitForSelector(`${t("client-consent")} >> text=Housing First`);
  await page.click(`${t("toast")} >> text=Consent recorded >> xpath=.. >> ${t("toast-action")}`);
  await page.waitForFunction(() => !/Housing First/.test(document.querySelector('[data-test="client-consent"] table')?.textContent ?? ""));
  if (!(await page.isVisible(t("consent-purpose")))) await page.click(t("consent-open"));
  await page.selectOption(t("consent-purpose"), "referral");
  await page.fill(t("consent-agency"), "Housing First");
  await page.check(t("consent-given-yes"));
  await page.click(t("consent-save"));
  await page.waitForSelector(`${t("client-consent")} >> text=Housing First`);

  step("search as you type finds the new client by alias");
  await page.click(t("nav-caseload"));
  await page.click(t("caseload-search"));
  await page.keyboard.type("te", { delay: 15 });
  const started = Date.now();
  await page.keyboard.press("z");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-test="caseload-row-name"]')];
    return rows.length === 1 && rows[0].textContent === "Testy Exampleperson";
  });
  console.log(`  search result on screen ${String(Date.now() - started)} ms after the last key (debounce 40 ms; includes Playwright's polling)`);
  await page.fill(t("caseload-search"), "");
  await page.keyboard.type("alex exa", { delay: 10 });
  await page.waitForFunction(() => {
    const first = document.querySelector('[data-test="caseload-row-name"]')?.textContent ?? "";
    return /alex/i.test(first) && /match/.test(document.querySelector('[data-test="caseload-count"]')?.textContent ?? "");
  });
  const rows = await page.$$eval(t("caseload-row-name"), (els) => els.map((e) => e.textContent ?? ""));
  check(rows.length > 0 && rows.every((r) => /alex/i.test(r)), `search rows all match, got ${rows.slice(0, 3).join(", ")}`);
  await page.keyboard.press("ArrowDown");
  await shot(page, "04-search");
  const opening = Date.now();
  await page.keyboard.press("Enter");
  await page.waitForSelector(t("client-name-heading"));
  console.log(`  client screen on screen ${String(Date.now() - opening)} ms after Enter (includes Playwright's polling)`);

  step("record a risk assessment on the new client");
  await page.goto(clientUrl.replace(/overview$/, "risk"));
  await page.waitForSelector(t("risk-new"));
  await page.click(t("risk-new"));
  await page.click(t("risk-complete"));
  await page.waitForSelector(`${t("risk-form")} .field__error`);
  await shot(page, "05-risk-missing");
  const missing = await page.$$eval(`${t("risk-form")} .field__error`, (els) => els.map((e) => e.textContent));
  check(missing.some((m) => /risk to self/.test(m ?? "")), "validation names the missing level");
  await page.check(t("risk-toSelf-medium"));
  await page.check(t("risk-toOthers-low"));
  await page.check(t("risk-fromOthers-high"));
  await page.check(t("risk-safeguarding-low"));
  await page.fill(t("risk-triggers"), "Cold nights; hostel eviction.");
  await page.fill(t("risk-protective"), "Sister nearby; GP registered.");
  await page.fill(t("risk-plan"), "Two workers on visits. Daily check-in at the drop-in.");
  await shot(page, "05-risk-form");
  await page.click(t("risk-complete"));
  await page.waitForSelector(t("risk-latest"));
  const latest = (await page.textContent(t("risk-latest"))) ?? "";
  check(/High/.test(latest) && /completed/.test(latest) && /Two workers on visits/.test(latest), "completed assessment shown");
  check((await page.$(t("risk-amend"))) !== null, "completed assessment offers Amend only");
  await shot(page, "05-risk");

  step("record a contact in a few keystrokes");
  await page.keyboard.press("a");
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-test") === "contact-notes");
  await page.keyboard.type("Met at the drop-in; talked through the housing options.");
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector(`${t("contact-item")} >> text=talked through the housing options`);
  await shot(page, "06-contacts");

  step("plan tab of a seeded client shows the progress chart");
  await page.click(t("nav-caseload"));
  await page.fill(t("caseload-search"), "");
  await page.click(t("caseload-scope-team"));
  await page.waitForSelector(t("caseload-row"));
  let planShown = false;
  for (let i = 0; i < 6 && !planShown; i += 1) {
    const ids = await page.$$eval(t("caseload-row"), (els) => els.map((e) => e.getAttribute("data-client-id")));
    await page.goto(`${base}#/client/${ids[i]}/plan`);
    await page.waitForSelector(t("plan"));
    planShown = (await page.$(t("plan-chart"))) !== null;
  }
  check(planShown, "a progress chart on one of the first clients");
  const paths = await page.$$eval(`${t("plan-chart")} path`, (els) => els.map((e) => e.getAttribute("d") ?? ""));
  check(paths.length > 0 && paths.every((d) => /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)*$/.test(d)), "chart paths drawn");
  await shot(page, "07-plan");
  await page.click(t("client-tab-overview"));
  await page.waitForSelector(t("client-consent"));
  await shot(page, "07b-client-overview");

  step("street count: start, two sightings, duplicate flagged, close and see the return");
  await page.keyboard.press("2");
  await page.waitForSelector(t("count-start"));
  await page.check(t("count-area-Liverpool"));
  await shot(page, "08a-count-start");
  await page.click(t("count-start"));
  await page.waitForSelector(t("count-sighting-form"));
  await page.fill(t("count-location"), "Library doorway");
  await page.check(t("count-gender-male"));
  await page.check(t("count-age-from26"));
  await page.click(t("count-sighting-add"));
  await page.waitForFunction(() => document.querySelector('[data-test="count-tally-total"]')?.textContent === "1");
  await page.check(t("count-gender-male"));
  await page.check(t("count-age-from26"));
  await page.click(t("count-sighting-add"));
  await page.waitForFunction(() => document.querySelector('[data-test="count-tally-total"]')?.textContent === "2");
  await page.waitForSelector(t("count-duplicates"));
  await page.fill(t("count-location"), "Station car park");
  await page.check(t("count-gender-female"));
  await page.fill(t("count-client-search"), "tez");
  await page.click(t("count-client-option"));
  await page.click(t("count-sighting-add"));
  await page.waitForFunction(() => document.querySelector('[data-test="count-tally-total"]')?.textContent === "3");
  await shot(page, "08-count");
  await page.click(t("count-close"));
  await page.click(t("count-close-confirm"));
  await page.waitForSelector(t("count-return"));
  check(/3\s*people sleeping rough/.test((await page.textContent(t("count-return"))) ?? ""), "return shows 3 people");
  await shot(page, "09-count-return");

  step("sync status, sync now with progress, conflicts");
  await page.click(t("nav-sync"));
  await page.waitForSelector(t("sync-conflict"));
  await page.click(t("sync-now"));
  await page.waitForFunction(() => /Syncing/.test(document.querySelector('[data-test="sync-status"]')?.textContent ?? ""));
  await shot(page, "10-sync-running");
  await page.waitForFunction(() => /Synced \d\d:\d\d/.test(document.querySelector('[data-test="sync-status"]')?.textContent ?? ""), null, { timeout: 8000 });
  await page.waitForSelector(`${t("toast")} >> text=Sync finished`);
  const before = (await page.$$(t("sync-conflict"))).length;
  await shot(page, "10-sync");
  await page.click(`${t("sync-conflict")} >> nth=0 >> ${t("conflict-other")}`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-test="sync-conflict"]').length === n - 1, before);

  step("reports");
  await page.keyboard.press("4");
  await page.waitForSelector(t("report-caseloads-chart"));
  const bars = await page.$$(`${t("report-caseloads-chart")} rect`);
  check(bars.length === 6, `six workers charted, got ${String(bars.length)}`);
  await shot(page, "11-reports");
  await page.click(t("report-export-caseloads"));
  await page.waitForSelector(`${t("toast")} >> text=Exported`);

  step("shortcuts overlay and day theme");
  await page.keyboard.press("?");
  await page.waitForSelector(t("help-overlay"));
  await shot(page, "12-help");
  await page.keyboard.press("Escape");
  await page.keyboard.press("1");
  await page.keyboard.press("t");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "day");
  await page.waitForSelector(t("caseload-row"));
  await shot(page, "13-caseload-day");
  await page.goto(clientUrl.replace(/overview$/, "plan"));
  await page.waitForSelector(t("plan"));

  step("action plan: agencies, a goal with Undo, a score on the chart");
  await page.click(t("plan-edit-open"));
  await page.fill(t("plan-agencies"), "Housing First, CMHT");
  await page.click(t("plan-edit-save"));
  await page.waitForSelector(`${t("plan")} >> text=Housing First, CMHT`);
  await page.click(t("plan-goal-open"));
  await page.fill(t("plan-goal-text"), "Register with a GP");
  await page.click(t("plan-goal-save"));
  await page.waitForSelector(`${t("plan-goal")} >> text=Register with a GP`);
  await page.selectOption(`${t("plan-goal")} select`, "achieved");
  await page.click(t("toast-action"));
  await page.waitForFunction(() => document.querySelector('[data-test="plan-goal"] select')?.value === "not_started");
  await page.selectOption(t("plan-score-area"), "accommodation");
  await page.check(t("plan-score-3"));
  await page.click(t("plan-score-save"));
  await page.waitForSelector(t("plan-chart"));
  await page.check(t("plan-score-5"));
  await page.click(t("plan-score-save"));
  await page.waitForFunction(() => document.querySelectorAll('[data-test="plan-chart"] circle').length === 2);
  await shot(page, "13b-client-plan-day");
  await page.goto(`${base}#/sync`);
  await page.waitForSelector(t("sync-panel"));
  await shot(page, "13c-sync-day");
  await page.click(t("nav-settings"));
  await page.selectOption(t("settings-idle"), "5");
  await page.waitForSelector(`${t("toast")} >> text=lock after 5 minutes`);
  await shot(page, "13d-settings-day");

  step("lock: nothing of a client remains on screen");
  await page.click(t("lock"));
  await page.waitForSelector(t("unlock-passphrase"));
  const body = (await page.textContent("body")) ?? "";
  check(!/Exampleperson|Example|Sample/.test(body.replace(/made up demo data only/, "")), "no client names while locked");
  await shot(page, "14-locked-day");

  step("idle lock: the screen clears itself after the idle time");
  const idle = await context.newPage();
  watch(idle, "idle");
  await idle.goto(`${base}?idle=0.05`);
  await idle.fill(t("unlock-passphrase"), PASSPHRASE);
  await idle.click(t("unlock-submit"));
  await idle.waitForSelector(t("caseload-row"));
  await idle.waitForSelector(t("unlock-passphrase"), { timeout: 8000 });
  check((await idle.$(t("caseload-row"))) === null, "no rows left after the idle lock");
  await idle.close();

  step("50,000 made-up clients: search still answers quickly");
  const big = await context.newPage();
  watch(big, "big");
  await big.goto(`${base}?clients=50000`);
  await big.fill(t("unlock-passphrase"), PASSPHRASE);
  await big.click(t("unlock-submit"));
  await big.waitForSelector(t("caseload-row"));
  await big.click(t("caseload-scope-team"));
  await big.waitForFunction(() => /of 50,\d{3} clients/.test(document.querySelector('[data-test="caseload-count"]')?.textContent ?? ""));
  await big.fill(t("caseload-search"), "sam placeholder");
  await big.waitForFunction(() => /match/.test(document.querySelector('[data-test="caseload-count"]')?.textContent ?? ""));
  console.log(`  50,000 clients: ${(await big.textContent(t("caseload-count"))) ?? ""}`);
  await big.close();

  step("first run: create a passphrase with strength guidance");
  const fresh = await context.newPage();
  watch(fresh, "fresh");
  await fresh.goto(`${base}?fresh`);
  await fresh.waitForSelector(t("create-passphrase"));
  await fresh.fill(t("create-user"), "amy.w");
  await fresh.fill(t("create-passphrase"), "short");
  check(/Too weak/.test((await fresh.textContent(t("create-strength"))) ?? ""), "weak passphrase hint");
  await fresh.fill(t("create-passphrase"), "kettle harbour violet mitten");
  check(/Good|Strong/.test((await fresh.textContent(t("create-strength"))) ?? ""), "good passphrase hint");
  await fresh.fill(t("create-again"), "kettle harbour violet mitten");
  await shot(fresh, "15-create");
  await fresh.click(t("create-submit"));
  await fresh.waitForSelector(t("caseload"));
} catch (err) {
  for (const [i, p] of (browser?.contexts()[0]?.pages() ?? []).entries()) {
    await p.screenshot({ path: join(shots, `failed-${String(i)}.png`) }).catch(() => undefined);
  }
  problems.push(`step "${steps[steps.length - 1] ?? "start"}" failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await browser?.close();
  preview.kill();
}

if (problems.length > 0) {
  console.error(`\nheadless Chromium check FAILED (${String(problems.length)} problem(s)):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`\nheadless Chromium check passed: ${String(steps.length)} steps, screenshots in ${shots}`);
