// The firm's desk in a real browser (Debian's chromium driven by playwright-core), against the
// running desk. A plain Node script, like chat.spec.mjs:
//
//   DESK_URL=http://127.0.0.1:8090 DESK_USER=lena DESK_PASSWORD=... DESK_TOTP_SECRET=BASE32 \
//   URGENT_REFERENCE=IC-XXXX-XXXX XSS_REFERENCE=IC-YYYY-YYYY node tests/browser/desk.spec.mjs
//
// Logs in with the password and a TOTP code (computed here from the secret, RFC 6238), checks the
// urgent request is at the top of the inbox, assigns it, adds a note, marks it handled, checks a
// name like <script>alert(1)</script> is shown as text (no dialog), logs out. Screenshots of the
// inbox and the request go to SCREENSHOT_DIR (default tests/artifacts). Exits 1 at the first
// failed check.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.resolve(HERE, "..", "..");
const require = createRequire(path.join(PROJECT_ROOT, "widget", "package.json"));
const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || path.join(PROJECT_ROOT, "tests", "artifacts"));
const { DESK_URL, DESK_USER, DESK_PASSWORD, DESK_TOTP_SECRET, URGENT_REFERENCE, XSS_REFERENCE } = process.env;

class CheckFailed extends Error {}
let stepNumber = 0;
const step = (text) => console.log(`\n[${++stepNumber}] ${text}`);
const info = (text) => console.log(`    ${text}`);
function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const digest = crypto.createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0xf;
  const code = (digest.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, "0");
}

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return fs.realpathSync(execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim());
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  info(`screenshot: ${file}`);
}

async function main() {
  for (const [name, value] of Object.entries({ DESK_URL, DESK_USER, DESK_PASSWORD, DESK_TOTP_SECRET, URGENT_REFERENCE, XSS_REFERENCE })) {
    check(value, `${name} is not set`);
  }
  const playwright = require("playwright-core");
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "desk-chromium-"));
  const context = await playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: !process.env.HEADED,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run"],
    viewport: { width: 1280, height: 900 },
    locale: "en-GB",
    timeout: 60000,
  });
  const problems = [];
  let dialogs = 0;
  let page;
  try {
    page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30000);
    page.on("dialog", async (dialog) => { dialogs += 1; await dialog.dismiss(); });
    page.on("pageerror", (error) => problems.push(error.message));

    step("Without a session the desk sends the browser to the login page");
    let response = await page.goto(`${DESK_URL}/`);
    check(page.url().endsWith("/login"), `expected the login page, got ${page.url()}`);
    const csp = response.headers()["content-security-policy"] || "";
    check(csp.includes("default-src 'none'"), `no strict Content-Security-Policy: ${csp}`);

    step("Log in with the password, then the TOTP code");
    await page.fill("input[name=username]", DESK_USER);
    await page.fill("input[name=password]", DESK_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    check(page.url().endsWith("/login/code"), `expected the code page, got ${page.url()}`);
    await page.fill("input[name=code]", totp(DESK_TOTP_SECRET));
    await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
    check(new URL(page.url()).pathname === "/", `expected the inbox, got ${page.url()}`);

    step("The urgent request is at the top of the inbox");
    const first = await page.getAttribute("table.inbox tbody tr:first-child", "data-reference");
    check(first === URGENT_REFERENCE, `first row is ${first}, expected ${URGENT_REFERENCE}`);
    check((await page.textContent("table.inbox tbody tr:first-child")).includes("URGENT"), "no URGENT mark on the first row");

    step("A name like <script>alert(1)</script> is shown as text");
    const xssRow = `table.inbox tr[data-reference="${XSS_REFERENCE}"] td.name`;
    check((await page.textContent(xssRow)) === "<script>alert(1)</script>", "the name is not shown literally");
    check(dialogs === 0, "a script typed by a person ran in the desk");
    await screenshot(page, "desk-inbox.png");

    step("Open the urgent request, assign it to me, add a note, mark it handled");
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/requests/${URGENT_REFERENCE}"]`)]);
    check((await page.textContent("h1")).includes(URGENT_REFERENCE), "the request page does not show its reference");
    await page.selectOption("select[name=assignee]", "me");
    await Promise.all([page.waitForNavigation(), page.click("form[action$='/assign'] button")]);
    check((await page.textContent("#assigned")) === DESK_USER, "the request is not assigned to me");
    await page.fill("textarea[name=text]", "Called the family; hearing on Monday.");
    await Promise.all([page.waitForNavigation(), page.click("form[action$='/notes'] button")]);
    check((await page.textContent("main")).includes("Called the family; hearing on Monday."), "the note is not shown");
    await Promise.all([page.waitForNavigation(), page.click("form[action$='/handled'] button")]);
    check((await page.textContent("#status")) === "handled", "the request is not marked handled");
    const transcript = await page.locator("ol.transcript li").count();
    check(transcript > 0, "the conversation transcript is missing");
    info(`transcript: ${transcript} message(s)`);
    const history = await page.textContent("table.history");
    for (const action of ["view", "assign", "note", "handled"]) check(history.includes(action), `history lacks ${action}`);
    await screenshot(page, "desk-request.png");

    step("A lawyer may not export");
    response = await page.goto(`${DESK_URL}/requests/${URGENT_REFERENCE}/export`);
    check(response.status() === 403, `export answered ${response.status()} for a lawyer`);

    step("Log out: the session ends");
    await page.goto(`${DESK_URL}/`);
    await Promise.all([page.waitForNavigation(), page.click("header form button")]);
    check(page.url().endsWith("/login"), `after logout: ${page.url()}`);
    await page.goto(`${DESK_URL}/requests/${URGENT_REFERENCE}`);
    check(page.url().endsWith("/login"), "the request is still readable after logging out");
    check(problems.length === 0, `page errors: ${problems.join("; ")}`);
    console.log("\nAll desk checks passed.");
  } catch (error) {
    if (page) await screenshot(page, "desk-failure.png").catch(() => {});
    throw error;
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof CheckFailed ? `CHECK FAILED: ${error.message}` : error);
  process.exit(1);
});
