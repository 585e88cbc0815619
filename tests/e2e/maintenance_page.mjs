// The maintenance page in Debian's headless Chromium, driven by playwright-core (no browser
// download): log in with the token link, upload a backup, restore it after the confirmation,
// watch the progress reach 100 %, and see maintenance end. Run by
// tests/web/maintenance_page_test.cc, which prepares the server and checks the database.
//
// Environment: LOGIN_URL (the /maintenance?token=... link), BACKUP_FILE (a backup to upload),
// CHROMIUM (default /usr/bin/chromium), SCREENSHOT (optional path for a final screenshot).
// Prints one JSON line with what it saw; exits non-zero on any failure.
import { chromium } from "playwright-core";
import path from "node:path";

const loginUrl = process.env.LOGIN_URL;
const backupFile = process.env.BACKUP_FILE;
if (!loginUrl || !backupFile) {
  console.error("LOGIN_URL and BACKUP_FILE are required");
  process.exit(2);
}
const uploaded = "uploaded-" + path.basename(backupFile);
const seen = { progress: [], tasks: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(60000);
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(loginUrl);
  await page.getByText(/logged in as/).waitFor();
  if (new URL(page.url()).searchParams.has("token")) throw new Error("the token stayed in the address bar");

  await page.setInputFiles("#upload-file", backupFile);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("cell", { name: uploaded, exact: true }).waitFor();

  await page.getByRole("button", { name: "Restore " + uploaded, exact: true }).click();
  const dialog = page.locator("#confirm-dialog");
  await dialog.waitFor();
  const question = await page.locator("#confirm-text").textContent();
  if (!question.includes(uploaded)) throw new Error("the confirmation does not name the file: " + question);
  await page.locator("#confirm-yes").click();

  // Record the progress bar until the page says maintenance has ended.
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    const value = Number(await page.locator("#progress").getAttribute("value"));
    const label = (await page.locator("#progress-label").textContent()) || "";
    if (seen.progress.at(-1) !== value) seen.progress.push(value);
    const task = label.split(":")[0];
    if (task && seen.tasks.at(-1) !== task) seen.tasks.push(task);
    const status = (await page.locator("#status-text").textContent()) || "";
    if (status.includes("maintenance has ended")) { seen.final = status; break; }
    const message = await page.locator("#message").textContent();
    if (message) throw new Error("the page reported: " + message);
    if (Date.now() > deadline) throw new Error("the restore did not finish; last status: " + status);
    await page.waitForTimeout(100);
  }
  seen.finalProgress = Number(await page.locator("#progress").getAttribute("value"));
  if (seen.finalProgress !== 100) throw new Error("the progress bar ended at " + seen.finalProgress);
  await page.getByRole("link", { name: "Open the library" }).waitFor();
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
