// A worker's first shift, in the real app window: create the store, add
// clients, record a dynamic risk assessment, log a contact, run a street
// count with a sighting, search the caseload, look at the sync status, lock,
// then start the app again, give a wrong passphrase and unlock for real.
// Every step asserts what the window shows and saves a screenshot.
// Names and details are made up for the test.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  By,
  allShown,
  choose,
  click,
  fill,
  freshDataDir,
  gone,
  launchApp,
  pageText,
  pick,
  screenshot,
  shown,
  textOf,
  waitFor,
} from "../lib/harness.js";

const USER = "amy.w";
const PASSPHRASE = "amber lantern quietly folds maps";
const CLIENT = "Jo Example";
const OTHER = "Sam Rivers";
const FLAG = "Do not visit alone";

let data;
let app;
let failed = false;

/**
 * Longest a step may take before it counts as failed (ms). Generous: a
 * debug build under WebKitWebDriver on a loaded 2-core machine has taken
 * 30 s for a three-screen step; a hang still fails, with a screenshot.
 */
const STEP_MS = Number(process.env.E2E_STEP_MS ?? 120000);

/** A step of the flow; once one fails the rest are skipped, not failed again. */
function step(name, fn) {
  test(name, { timeout: STEP_MS + 15000 }, async (t) => {
    if (failed) {
      t.skip("an earlier step failed");
      return;
    }
    let timer;
    const overdue = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step took longer than ${STEP_MS} ms`)), STEP_MS);
    });
    try {
      await Promise.race([fn(app.driver), overdue]);
    } catch (e) {
      failed = true;
      try {
        await Promise.race([
          screenshot(app.driver, `failed-${name.replace(/[^a-z0-9]+/giu, "-").slice(0, 40)}`),
          new Promise((res) => setTimeout(res, 5000)),
        ]);
      } catch {
        // the window may be gone
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  });
}

before(async () => {
  data = freshDataDir("worker");
  app = await launchApp({ dataDir: data.dir, label: "worker" });
});

after(async () => {
  await app?.stop();
  data?.remove();
});

async function addClient(driver, { name, aliases, flag, needs }, shot) {
  await click(driver, "client-add");
  await shown(driver, "client-form");
  await fill(driver, "client-name", name);
  if (aliases) await fill(driver, "client-aliases", aliases);
  await choose(driver, "client-area", "Liverpool");
  await choose(driver, "client-gender", "male");
  for (const n of needs ?? []) await pick(driver, `client-need-${n}`);
  if (flag) await fill(driver, "client-flags", flag);
  if (shot) await screenshot(driver, shot);
  await click(driver, "client-save");
  await waitFor(driver, async () => (await textOf(driver, "client-name-heading", 1000)) === name, `the client screen of ${name}`);
}

step("first run: the create screen, then the empty caseload", async (driver) => {
  await shown(driver, "unlock-screen");
  const text = await pageText(driver);
  assert.match(text, /Set up Outreach/u);
  assert.equal((await allShown(driver, "caseload")).length, 0, "no caseload before the store exists");
  await fill(driver, "create-user", USER);
  await fill(driver, "create-passphrase", "short");
  await waitFor(driver, async () => /weak/iu.test(await textOf(driver, "create-strength")), "the weak-passphrase hint");
  await fill(driver, "create-passphrase", PASSPHRASE);
  await fill(driver, "create-again", PASSPHRASE);
  await waitFor(driver, async () => /good|strong/iu.test(await textOf(driver, "create-strength")), "the strength hint");
  await screenshot(driver, "01-create-store");
  await click(driver, "create-submit");
  await shown(driver, "caseload", 30000);
  await shown(driver, "caseload-empty");
  await screenshot(driver, "02-caseload-empty");
});

step("add a client: the client screen shows the name and the safety flag", async (driver) => {
  await addClient(driver, { name: CLIENT, aliases: "Jojo", flag: FLAG, needs: ["mental_health", "substance_use"] }, "03-new-client");
  assert.match(await textOf(driver, "client-flags"), new RegExp(FLAG, "u"));
  assert.match(await textOf(driver, "client-eligibility"), /Mental health/iu);
  await screenshot(driver, "04-client-overview");
});

step("record a dynamic risk assessment: it shows as the current one, completed", async (driver) => {
  await click(driver, "client-tab-risk");
  await shown(driver, "risk-latest");
  assert.match(await textOf(driver, "risk-latest"), /No completed assessment/u);
  await click(driver, "risk-new");
  await shown(driver, "risk-form");
  await pick(driver, "risk-toSelf-medium");
  await pick(driver, "risk-toOthers-low");
  await pick(driver, "risk-fromOthers-high");
  await pick(driver, "risk-safeguarding-low");
  await fill(driver, "risk-triggers", "Alcohol; moved on from the doorway");
  await fill(driver, "risk-protective", "Sister in Bootle; engages with the nurse");
  await fill(driver, "risk-plan", "Two workers on visits; check in at the day centre");
  await screenshot(driver, "05-risk-form");
  await click(driver, "risk-complete");
  const latest = await shown(driver, "risk-latest");
  await waitFor(driver, async () => /completed/u.test(await latest.getText()), "the completed assessment");
  const text = await latest.getText();
  assert.match(text, /Two workers on visits/u);
  assert.match(text, /Risk from others\s*High/u);
  await screenshot(driver, "06-risk-completed");
});

step("log a contact: a street encounter appears in the contact list", async (driver) => {
  await click(driver, "client-tab-contacts");
  await shown(driver, "contact-form");
  await pick(driver, "contact-purpose-street_encounter");
  await fill(driver, "contact-notes", "Seen on Lime Street, offered a hostel bed");
  await pick(driver, "contact-bedded");
  await click(driver, "contact-save");
  const item = await shown(driver, "contact-item");
  const text = await item.getText();
  assert.match(text, /Seen on Lime Street, offered a hostel bed/u);
  assert.match(text, /Street encounter/iu);
  assert.match(text, /Bedded down/u);
  await screenshot(driver, "07-contacts");
});

step("street count: start a count, record a sighting linked to the client, close it", async (driver) => {
  await click(driver, "nav-count");
  await shown(driver, "count-screen");
  await pick(driver, "count-area-Liverpool");
  await click(driver, "count-start");
  await shown(driver, "count-sighting-form");
  assert.equal(await textOf(driver, "count-tally-total"), "0");
  await fill(driver, "count-location", "Lime Street doorway");
  await pick(driver, "count-gender-male");
  await pick(driver, "count-age-from26");
  await pick(driver, "count-nationality-uk");
  await fill(driver, "count-client-search", "Jo Ex");
  await click(driver, "count-client-option");
  assert.equal(await textOf(driver, "count-client-linked"), CLIENT);
  await screenshot(driver, "08-count-sighting-form");
  await click(driver, "count-sighting-add");
  await waitFor(driver, async () => (await textOf(driver, "count-tally-total", 1000)) === "1", "a tally of 1");
  assert.match(await textOf(driver, "count-tally"), /1 sighting/u);
  await screenshot(driver, "09-count-tally");
  await click(driver, "count-close");
  await click(driver, "count-close-confirm");
  const ret = await shown(driver, "count-return");
  assert.match(await ret.getText(), /Return for Liverpool/u);
  await screenshot(driver, "10-count-return");
});

step("search the caseload: a misspelt name and an alias find the client, others do not show", async (driver) => {
  await click(driver, "nav-caseload");
  await shown(driver, "caseload");
  await addClient(driver, { name: OTHER, needs: ["debt"] });
  await click(driver, "nav-caseload");
  await waitFor(driver, async () => (await allShown(driver, "caseload-row")).length === 2, "both clients in the caseload");
  const names = async () => Promise.all((await allShown(driver, "caseload-row-name")).map((e) => e.getText()));
  await fill(driver, "caseload-search", "jo exmple");
  await waitFor(driver, async () => (await names()).join("|") === CLIENT, `only ${CLIENT} for "jo exmple"`);
  assert.match(await textOf(driver, "caseload-count"), /1 match/u);
  const row = (await allShown(driver, "caseload-row"))[0];
  const rowText = await row.getText();
  assert.match(rowText, new RegExp(FLAG, "u"), "the safety flag shows in the row");
  assert.match(rowText, /High risk/u, "the latest assessment's level shows in the row");
  await screenshot(driver, "11-caseload-search");
  await fill(driver, "caseload-search", "jojo");
  await waitFor(driver, async () => (await names()).join("|") === CLIENT, `${CLIENT} by alias`);
  await fill(driver, "caseload-search", "zzqx nobody");
  await shown(driver, "caseload-empty");
  assert.equal((await allShown(driver, "caseload-row")).length, 0);
  await fill(driver, "caseload-search", "");
  await waitFor(driver, async () => (await allShown(driver, "caseload-row")).length === 2, "the full caseload back");
  await screenshot(driver, "12-caseload");
});

step("sync status: always visible, and the sync screen says this laptop is not signed in", async (driver) => {
  const pill = await textOf(driver, "sync-status-text");
  assert.match(pill, /Offline|Never synced|not signed in/iu);
  await click(driver, "sync-status");
  await shown(driver, "sync-panel");
  assert.equal(await textOf(driver, "sync-last"), "Never");
  await shown(driver, "sync-no-conflicts");
  await screenshot(driver, "13-sync");
});

step("lock hides every client's data", async (driver) => {
  await click(driver, "lock");
  await shown(driver, "unlock-screen");
  const text = await pageText(driver);
  assert.doesNotMatch(text, new RegExp(`${CLIENT}|${OTHER}|${FLAG}|Lime Street`, "u"));
  const html = await driver.executeScript("return document.body.innerHTML");
  assert.doesNotMatch(html, new RegExp(`${CLIENT}|${OTHER}|${FLAG}`, "u"), "no client data left in the page");
  assert.equal((await driver.findElements(By.css('[data-test="caseload"]'))).length, 0);
  await screenshot(driver, "14-locked");
});

step("after a restart: a wrong passphrase shows an error and the caseload stays hidden", async () => {
  await app.stop();
  app = await launchApp({ dataDir: data.dir, label: "worker-restart" });
  const driver = app.driver;
  await shown(driver, "unlock-screen");
  assert.match(await pageText(driver), /Outreach is locked/u);
  await fill(driver, "unlock-passphrase", "amber lantern loudly folds maps");
  await click(driver, "unlock-submit");
  const alert = await shown(driver, "unlock-error", 15000);
  assert.match(await alert.getText(), /passphrase/iu);
  assert.equal((await driver.findElements(By.css('[data-test="caseload"]'))).length, 0, "the caseload stays hidden");
  assert.doesNotMatch(await pageText(driver), new RegExp(CLIENT, "u"));
  await screenshot(driver, "15-wrong-passphrase");
});

step("after a restart: the right passphrase opens the caseload kept on disk", async () => {
  const driver = app.driver;
  await fill(driver, "unlock-passphrase", PASSPHRASE);
  await click(driver, "unlock-submit");
  await shown(driver, "caseload", 30000);
  await waitFor(driver, async () => (await allShown(driver, "caseload-row")).length === 2, "both clients after the restart");
  await gone(driver, "unlock-screen");
  assert.match(await textOf(driver, "caseload"), new RegExp(CLIENT, "u"));
});
