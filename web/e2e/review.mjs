// Drives the review UI as a physician would: log in, open a visit, select a note sentence and
// see its evidence highlighted, reject an item, edit a sentence, sign, and see the signed
// state. Screenshots go to $SHOTS. Run by cmd/medscribe's TestBrowserReview, which starts the
// server and passes BASE, VISIT, USER and PASSWORD.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const { BASE, VISIT, USER, PASSWORD, SHOTS = "screenshots", CHROMIUM = "/usr/bin/chromium" } = process.env;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const step = (s) => console.log("step: " + s);
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (e) => { throw e; });
  page.on("dialog", (d) => d.accept());

  step("login");
  await page.goto(`${BASE}/ui/visits/${VISIT}`);
  assert.match(page.url(), /\/ui\/login$/);
  await page.fill('input[name="user"]', USER);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${BASE}/ui`);
  await page.screenshot({ path: `${SHOTS}/1-visit-list.png`, fullPage: true });

  step("open visit");
  await page.goto(`${BASE}/ui/visits/${VISIT}`);
  await page.waitForSelector(".sentence");
  await page.screenshot({ path: `${SHOTS}/2-review.png` });

  step("select a sentence: its evidence is highlighted");
  const sentences = page.locator(".sentence");
  const n = await sentences.count();
  assert.ok(n > 0, "the draft has sentences");
  let picked = -1;
  for (let i = 0; i < n; i++) {
    if (!(await sentences.nth(i).evaluate((e) => e.classList.contains("unsupported")))) { picked = i; break; }
  }
  assert.ok(picked >= 0, "some sentence has evidence");
  await sentences.nth(picked).click();
  await page.waitForSelector(".turn.evidence mark");
  const marked = await page.locator(".turn.evidence").count();
  assert.ok(marked > 0, "evidence turns are highlighted");
  await page.screenshot({ path: `${SHOTS}/3-evidence.png` });

  step("keyboard: j moves to the next sentence");
  await page.keyboard.press("j");
  assert.equal(await page.locator(".sentence.selected").count(), 1);

  step("reject an item");
  const firstItem = page.locator(".item").first();
  await firstItem.locator("button.no").click();
  await page.waitForSelector(".item.d-rejected");

  step("edit a sentence inline");
  const target = page.locator(".sentence").first();
  await target.dblclick();
  await page.keyboard.press("End");
  await page.keyboard.type(" Reviewed with patient.");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector(".sentence").textContent.endsWith("Reviewed with patient."));
  await page.click("#save");
  await page.waitForSelector(".message.ok");
  await page.screenshot({ path: `${SHOTS}/4-edited.png` });

  step("sign");
  await page.click("#sign");
  await page.waitForFunction(() => document.getElementById("state").textContent === "signed");
  assert.ok(await page.locator("#sign").isDisabled(), "signed: the sign button is off");
  await page.screenshot({ path: `${SHOTS}/5-signed.png` });

  step("reload: the signed state and the edit persist");
  await page.reload();
  await page.waitForSelector(".sentence");
  assert.equal(await page.locator("#state").textContent(), "signed");
  assert.match(await page.locator(".sentence").first().textContent(), /Reviewed with patient\.$/);
  await page.screenshot({ path: `${SHOTS}/6-signed-reloaded.png` });

  step("tablet width stays readable");
  await page.setViewportSize({ width: 820, height: 1100 });
  await page.screenshot({ path: `${SHOTS}/7-tablet.png` });
  console.log("ok: browser review test passed");
} finally {
  await browser.close();
}
