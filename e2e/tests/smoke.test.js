// The window opens, shows the locked screen and nothing else, and a
// screenshot of it can be taken.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freshDataDir, launchApp, pageText, screenshot, waitFor } from "../lib/harness.js";

let app;
let data;

before(async () => {
  data = freshDataDir("smoke");
  app = await launchApp({ dataDir: data.dir, label: "smoke" });
});

after(async () => {
  await app?.stop();
  data?.remove();
});

test("the real window opens on the Outreach page", async () => {
  const { driver } = app;
  await waitFor(driver, async () => (await driver.getTitle()) === "Outreach", "the window title");
  await waitFor(driver, async () => /passphrase/i.test(await pageText(driver)), "the passphrase prompt");
  const file = await screenshot(driver, "smoke-first-window");
  assert.match(file, /smoke-first-window\.png$/);
});
