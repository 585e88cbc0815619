// The admin console (/admin) in Debian's headless Chromium, driven by playwright-core (no browser
// download), in phases that tests/web/admin_console_test.cc runs around changes it makes to the
// server (a read-only backups folder, rows added to the database):
//   login    wrong password and non-admin refused; admin logs in; "at risk"; back up now and watch
//            the job; verify; "protected"; pause/resume a queue; the schedule's cron validation and
//            next runs; an upload whose name holds markup is refused and shown as text; point in
//            time not enabled; the space per media folder and the last storage scan; a scan
//            started from the console and its orphan in the list of problem files (an older answer
//            held back must not replace it); the nightly jobs and a manual job run; no index build;
//            screenshots at desktop and phone width; the session saved to STATE.
//   failing  (backups folder read-only) back up now: "failing" with the reason, shown as text;
//            (a broken PITR archive) the point-in-time problems in an alert; (an index build
//            waiting for a writer named WRITER_NAME) the build with its phase, the writer among the
//            instances, which fit a phone.
//   restore  restore RESTORE_FILE after a confirmation naming what is replaced; land back in the
//            logged-in console showing the restored library.
// Environment: PHASE, BASE_URL, ADMIN_EMAIL, USER_EMAIL, PASSWORD, STATE (session file),
// MARKUP_FILE (phase login), SCREENSHOTS (folder), WRITER_NAME (phase failing), RESTORE_FILE (phase
// restore), CHROMIUM.
// Prints one JSON line with what it saw; exits non-zero on any failure.
import { chromium } from "playwright-core";
import path from "node:path";

const env = process.env;
const base = env.BASE_URL;
const seen = { phase: env.PHASE };
const fail = (what) => { throw new Error(what); };

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const text = async (page, selector) => ((await page.locator(selector).textContent()) || "").trim();

// Fails when markup from the server became elements, or a handler ran.
async function noInjection(page) {
  const injected = await page.evaluate(() => window.__xss === 1 || document.querySelectorAll("main img, header img").length);
  if (injected) fail("markup from the server was inserted as HTML");
}

// `explain` adds what else the page says to the failure, where the selector alone would not tell why.
async function waitForText(page, selector, pattern, timeout = 60000, explain = async () => "") {
  const deadline = Date.now() + timeout;
  for (;;) {
    const t = await text(page, selector);
    if (pattern.test(t)) return t;
    if (Date.now() > deadline) fail(selector + " never matched " + pattern + "; it says: " + t + " " + await explain());
    await page.waitForTimeout(100);
  }
}

async function within(promise, ms, what) {
  let timer;
  const late = new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(what)), ms); });
  try { return await Promise.race([promise, late]); } finally { clearTimeout(timer); }
}

// At phone width nothing may be wider than the screen: not the page, not a table in its scrolling box.
async function fitsPhone(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => [document.documentElement, ...document.querySelectorAll(".table-wrap")]
    .map((e) => [e.closest("section")?.id || "the page", e.scrollWidth - e.clientWidth]).filter(([, over]) => over > 0));
  if (wide.length) fail("wider than a phone: " + wide.map(([where, over]) => where + " by " + over + " px").join(", "));
}

async function login(page, email, password) {
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

async function loginPhase(page, context) {
  await page.goto(base + "/admin");
  await page.locator("#login-form").waitFor();
  await login(page, env.ADMIN_EMAIL, "wrong password");
  seen.wrongPassword = await waitForText(page, "#message", /Incorrect email or password/);
  await login(page, env.USER_EMAIL, env.PASSWORD);
  seen.nonAdmin = await waitForText(page, "#message", /Only an admin/);
  if (await page.locator("#console").isVisible()) fail("a non-admin sees the console");

  // The admin logs in with the keyboard only: Tab from the email to the password, Enter submits.
  await page.locator("#email").fill("");
  await page.locator("#email").focus();
  await page.keyboard.type(env.ADMIN_EMAIL);
  await page.keyboard.press("Tab");
  await page.keyboard.type(env.PASSWORD);
  await page.keyboard.press("Enter");
  seen.who = await waitForText(page, "#who", /Signed in as/);
  if (!seen.who.includes("<img")) fail("the user name's markup is not shown as text: " + seen.who);
  seen.firstVerdict = await waitForText(page, "#verdict", /At risk/);
  seen.firstReasons = await text(page, "#reasons");
  if (!/no database backup/i.test(seen.firstReasons)) fail("no reason for the risk: " + seen.firstReasons);

  // Back up now: a backupDatabase job, watched until it is done.
  const started = Date.now();
  await page.getByRole("button", { name: "Back up now" }).click();
  seen.backupStates = [];
  for (;;) {
    const s = await text(page, "#backup-state");
    if (s && seen.backupStates.at(-1) !== s) seen.backupStates.push(s);
    if (s === "The backup is done.") break;
    if (await page.locator("#message").isVisible()) fail(await text(page, "#message"));
    if (Date.now() - started > 120000) fail("the backup did not finish: " + s);
    await page.waitForTimeout(100);
  }
  const row = page.locator("#backup-rows tr").first();
  seen.backupFile = await text(page, "#backup-rows tr:first-child td.name");
  if (!/^immich-db-backup-/.test(seen.backupFile)) fail("no new backup in the list: " + seen.backupFile);
  if (!/Verified/.test(await row.locator("td").nth(3).textContent())) fail("the new backup is not verified");
  await page.getByRole("button", { name: "Verify " + seen.backupFile, exact: true }).click();
  await waitForText(page, "#backup-state", /is complete and readable/);
  seen.verdictAfterBackup = await waitForText(page, "#verdict", /^Protected$/);
  seen.timelineEvents = await page.locator("#timeline .event").count();

  // Jobs: pause and resume a queue.
  await page.getByRole("button", { name: "Pause backupDatabase", exact: true }).click();
  await waitForText(page, "tr[data-queue=backupDatabase] td:nth-child(5)", /paused/);
  await page.getByRole("button", { name: "Resume backupDatabase", exact: true }).click();
  await waitForText(page, "tr[data-queue=backupDatabase] td:nth-child(5)", /idle|running/);
  // The nightly jobs (time, jobs, next 3 runs, last run); a manual job run now (the C++ side sees it run).
  seen.nightly = await waitForText(page, "#nightly-facts", /Starts at.*Next runs.+; .+; .+Last run/s);
  await page.locator("#manual-job").selectOption("tag-cleanup");
  await page.getByRole("button", { name: "Run the job" }).click();
  seen.manualJob = await waitForText(page, "#manual-status", /Queued tag-cleanup/);

  // Schedule: a bad cron expression is explained; a good one shows its next 3 runs and saves.
  await page.locator("#schedule-cron").fill("0 25 * * *");
  seen.badCron = await waitForText(page, "#schedule-next", /hour/);
  await page.locator("#schedule-cron").fill("15 4 * * *");
  seen.nextRuns = await waitForText(page, "#schedule-next", /Next runs: .+; .+; .+/);
  await page.locator("#schedule-keep").fill("7");
  await page.getByRole("button", { name: "Save the schedule" }).click();
  await waitForText(page, "#schedule-status", /Saved/);

  // An upload whose file name holds markup: refused, and the name shown as text.
  await page.setInputFiles("#upload-file", env.MARKUP_FILE);
  await page.getByRole("button", { name: "Upload" }).click();
  seen.uploadRefused = await waitForText(page, "#message", /The upload was refused/);
  seen.uploadStatus = await waitForText(page, "#upload-status", /Refused: /);
  if (!seen.uploadStatus.includes(path.basename(env.MARKUP_FILE))) fail("the file name is not shown as text");
  await noInjection(page);

  // Point in time is not enabled here: the section says so and how to enable it.
  seen.pitrOff = await waitForText(page, "#pitr-off", /not enabled.*keepsake pitr enable/s);
  // Storage: the space per media folder (measured in the background) and the last scan.
  seen.library = await waitForText(page, "#folder-rows tr[data-folder=library]", /KB/);
  seen.scan = await waitForText(page, "#storage-facts", /Database-vs-disk scan.*finished/s);
  // A scan started from the console, watched to its end; its orphan listed with its path. The scan's
  // end reloads the list shown (missing originals) while the admin picks the orphans; that older
  // answer is held here until the orphans are shown, so it arrives last (as it did once on a loaded
  // CI machine, leaving an empty list): the page must keep the orphans.
  const held = [];
  let holding = true, staleRequested;
  const staleSeen = new Promise((resolve) => { staleRequested = resolve; });
  const stale = /\/api\/admin\/storage\/problem-files\?list=missing-irreplaceable/;
  await page.route(stale, (route) => {
    if (!holding) return route.continue();
    held.push(route);
    staleRequested();
  });
  await page.getByRole("button", { name: "Scan now" }).click();
  seen.scanTask = await waitForText(page, "#task-state", /The scan is done/);
  await within(staleSeen, 60000, "the scan's end did not reload the list of problem files");
  await page.locator("#problem-list").selectOption("orphan");
  const orphans = async () => "list " + await page.locator("#problem-list").inputValue() + ", " +
    await text(page, "#problem-state") + " " + await text(page, "#storage-facts");
  seen.orphanRow = await waitForText(page, "#problem-rows", /photo\.jpg/, 60000, orphans);
  holding = false;
  await Promise.all(held.map((route) => Promise.all([
    page.waitForEvent("requestfinished", (r) => r === route.request()), route.continue()])));
  await page.unroute(stale);
  // The older answer is in the page now; it must not replace the orphans (checked for half a second).
  for (const until = Date.now() + 500; Date.now() < until; await page.waitForTimeout(50)) {
    if (!/photo\.jpg/.test(await text(page, "#problem-rows"))) fail("an older answer replaced the orphans: " + await orphans());
  }

  seen.searchIdle = await waitForText(page, "#no-index-builds", /No index is being built/);

  await page.locator("#message").evaluate((e) => { e.hidden = true; });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: env.SCREENSHOTS + "/console-desktop.png" });
  await page.locator("#jobs").screenshot({ path: env.SCREENSHOTS + "/console-jobs.png" });
  await fitsPhone(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: env.SCREENSHOTS + "/console-phone.png" });
  await page.locator("#backups").scrollIntoViewIfNeeded();
  await page.screenshot({ path: env.SCREENSHOTS + "/console-phone-backups.png" });
  await page.locator("#storage").screenshot({ path: env.SCREENSHOTS + "/console-phone-storage.png" });
  await context.storageState({ path: env.STATE });
}

async function failingPhase(page) {
  await page.goto(base + "/admin");
  await waitForText(page, "#who", /Signed in as/);
  await page.getByRole("button", { name: "Back up now" }).click();
  seen.failure = await waitForText(page, "#message", /The backup failed: /, 120000);
  seen.verdict = await waitForText(page, "#verdict", /^Failing$/);
  seen.reasons = await text(page, "#reasons");
  if (!/The last database backup failed: .*cannot create/.test(seen.reasons)) fail("no reason: " + seen.reasons);
  seen.failedMarks = await page.locator("#timeline .event.failed").count();
  seen.jobFailure = await waitForText(page, "#failure-rows", /backupDatabase \/ DatabaseBackup.*cannot create/);
  // A broken PITR archive (written by the C++ side): its problems in an alert, the unverified base backup.
  if (!(await page.locator("#pitr-problems").isVisible())) fail("the PITR problems are not shown");
  seen.pitrProblems = await text(page, "#pitr-problem-list");
  seen.pitrFacts = await waitForText(page, "#pitr-facts", /NOT verified/);
  if (!/Point-in-time recovery: /.test(seen.reasons)) fail("the PITR problem is not a reason: " + seen.reasons);
  await page.locator("#pitr").screenshot({ path: env.SCREENSHOTS + "/console-pitr-problems.png" });
  // An index build waiting for a writer, and that writer (a long name) among the instances, at phone width.
  seen.indexBuild = await waitForText(page, "#index-builds", /console_test_build on asset \(CREATE INDEX CONCURRENTLY\): waiting for writers/);
  seen.instance = await waitForText(page, "#instance-rows", /unknown/);
  if (!seen.instance.includes(env.WRITER_NAME)) fail("the writer is not among the instances: " + seen.instance);
  if (/object Object/.test(await text(page, "#search"))) fail("the search index shows an object: " + await text(page, "#search"));
  await page.locator("#search").screenshot({ path: env.SCREENSHOTS + "/console-search.png" });
  await fitsPhone(page);
  await page.locator("#instances").screenshot({ path: env.SCREENSHOTS + "/console-phone-instances.png" });
  await noInjection(page);
}

async function restorePhase(page) {
  await page.goto(base + "/admin");
  await waitForText(page, "#who", /Signed in as/);
  seen.libraryBefore = await waitForText(page, "#facts", /\d+ users/);
  await page.getByRole("button", { name: "Restore " + env.RESTORE_FILE, exact: true }).click();
  await page.locator("#confirm-dialog").waitFor();
  await page.screenshot({ path: env.SCREENSHOTS + "/console-restore-confirm.png" });
  seen.question = await text(page, "#confirm-text");
  if (!seen.question.includes(env.RESTORE_FILE) || !/replaces the whole library database/.test(seen.question)) {
    fail("the confirmation does not name what is replaced: " + seen.question);
  }
  await page.locator("#confirm-yes").click();
  seen.progress = [];
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    const label = await text(page, "#restore-text");
    if (label && seen.progress.at(-1) !== label) seen.progress.push(label);
    if (/restore is complete/.test(label)) break;
    if (/failed/.test(label) || Date.now() > deadline) fail("the restore did not finish: " + label);
    await page.waitForTimeout(100);
  }
  seen.who = await waitForText(page, "#who", /Signed in as/);
  seen.libraryAfter = await waitForText(page, "#facts", /\d+ users/);
  seen.verdict = await text(page, "#verdict");
  if (await page.locator("#login-section").isVisible()) fail("the console asks to log in again after the restore");
}

const began = Date.now();
try {
  const context = await browser.newContext(env.PHASE === "login" ? {} : { storageState: env.STATE });
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  page.on("pageerror", (e) => { seen.pageErrors = (seen.pageErrors || []).concat(e.message); });
  if (env.PHASE === "login") await loginPhase(page, context);
  else if (env.PHASE === "failing") await failingPhase(page);
  else if (env.PHASE === "restore") await restorePhase(page);
  else fail("unknown PHASE " + env.PHASE);
  if (seen.pageErrors) fail("the page threw: " + seen.pageErrors.join("; "));
  seen.ms = Date.now() - began;
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
