// The chat widget in a real browser, against the running assistant (widget page + Rasa +
// action server). A plain Node script using playwright-core with Debian's chromium, not the
// Playwright test runner:
//
//   WIDGET_URL=http://127.0.0.1:8080/ SCREENSHOT_DIR=tests/artifacts node tests/browser/chat.spec.mjs
//
// Environment: WIDGET_URL (required), SCREENSHOT_DIR (default tests/artifacts),
// CHROMIUM_PATH (default: the real path of `which chromium`), REPLY_TIMEOUT_MS (default 60000),
// HEADED=1 to watch it. Prints each step; exits 1 with a clear message at the first failed check.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.resolve(HERE, "..", "..");
// playwright-core is installed in widget/node_modules (widget/package-lock.json).
const require = createRequire(path.join(PROJECT_ROOT, "widget", "package.json"));

const WIDGET_URL = process.env.WIDGET_URL;
const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || path.join(PROJECT_ROOT, "tests", "artifacts"));
const REPLY_TIMEOUT = Number(process.env.REPLY_TIMEOUT_MS || 60000);
const QUIET_MS = 1500; // no new bot message for this long: the bot has finished its turn
const GIVE_UP_MS = 15000; // the bot answered, then stayed silent this long without the expected reply

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 667 };
const MIN_TAP = 44;

// Selectors on rasa-webchat 1.0.1's markup.
const BOT = ".rw-message:not(.rw-typing-indication) .rw-response";
const USER = ".rw-message .rw-client";
const INPUT = "#chat .rw-new-message";
const REPLY = "#chat .rw-reply";

class CheckFailed extends Error {}

let stepNumber = 0;
function step(text) {
  stepNumber += 1;
  console.log(`\n[${stepNumber}] ${text}`);
}
function info(text) {
  console.log(`    ${text}`);
}
function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  let found = "";
  try {
    found = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new CheckFailed("chromium not found on PATH: run scripts/ensure_system_packages.sh (or set CHROMIUM_PATH)");
  }
  return fs.realpathSync(found);
}

function short(text, max = 160) {
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

async function botTexts(page) {
  return page.$$eval(BOT, (nodes) => nodes.map((node) => node.innerText.trim()));
}

async function userTexts(page) {
  return page.$$eval(USER, (nodes) => nodes.map((node) => node.innerText.trim()));
}

/** Waits until the bot has said something new since `before` and then gone quiet;
 *  returns the new bot messages. With `contains`, waits until one of them matches; with
 *  `asks`, until the last one (the question the bot ends its turn with) matches; with
 *  `button`, until that reply button is on screen. */
async function newBotMessages(page, before, { contains = null, asks = null, button = null, what = "a reply" } = {}) {
  const deadline = Date.now() + REPLY_TIMEOUT;
  let lastCount = -1;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const texts = await botTexts(page);
    if (texts.length !== lastCount) {
      lastCount = texts.length;
      lastChange = Date.now();
    }
    const fresh = texts.slice(before);
    const matched = fresh.length > 0 &&
      (!contains || fresh.some((text) => contains.test(text))) &&
      (!asks || asks.test(fresh[fresh.length - 1]));
    const buttonReady = button ? await page.locator(REPLY, { hasText: button }).first().isVisible() : true;
    if (matched && buttonReady && Date.now() - lastChange >= QUIET_MS) {
      fresh.forEach((text) => info(`bot: ${short(text)}`));
      return fresh;
    }
    if (fresh.length > 0 && Date.now() - lastChange >= GIVE_UP_MS) break; // it said something else
    await page.waitForTimeout(200);
  }
  const fresh = (await botTexts(page)).slice(before);
  const seen = fresh.length ? fresh.map((text) => `\n      bot: ${short(text, 400)}`).join("") : " (nothing)";
  const buttons = await page.$$eval(REPLY, (nodes) => nodes.map((node) => node.innerText.trim()));
  const waited = fresh.length ? `the bot's turn ended without ${what}` : `no reply within ${REPLY_TIMEOUT / 1000}s: expected ${what}`;
  throw new CheckFailed(
    waited +
      (contains ? ` matching ${contains}` : "") +
      (asks ? ` ending with a message matching ${asks}` : "") +
      (button ? ` with the button "${button}"` : "") +
      `; the bot said since:${seen}\n      buttons on screen: ${JSON.stringify(buttons)}`,
  );
}

async function type(page, text, expectation) {
  const before = (await botTexts(page)).length;
  info(`you: ${text}`);
  const input = page.locator(INPUT);
  await input.click();
  await input.fill(text);
  await input.press("Enter");
  await page.locator(USER, { hasText: text }).last().waitFor({ timeout: 10000 });
  return newBotMessages(page, before, expectation);
}

async function clickButton(page, title, expectation, { keyboard = false } = {}) {
  const button = page.locator(REPLY, { hasText: title }).last();
  try {
    await button.waitFor({ state: "visible", timeout: REPLY_TIMEOUT });
  } catch {
    const buttons = await page.$$eval(REPLY, (nodes) => nodes.map((node) => node.innerText.trim()));
    throw new CheckFailed(`no "${title}" button on screen; buttons: ${JSON.stringify(buttons)}`);
  }
  const before = (await botTexts(page)).length;
  if (keyboard) {
    info(`you (keyboard: focus + Enter): [${title}]`);
    await button.focus();
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.innerText.trim());
    check(focused === title, `the "${title}" button cannot take keyboard focus (focused: ${JSON.stringify(focused)})`);
    await page.keyboard.press("Enter");
  } else {
    info(`you (click): [${title}]`);
    await button.click();
  }
  await page.locator(USER, { hasText: title }).last().waitFor({ timeout: 10000 }).catch(() => {
    throw new CheckFailed(`clicking "${title}" did not send it as your message`);
  });
  return newBotMessages(page, before, expectation);
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file });
  info(`screenshot: ${file}`);
  return file;
}

async function storageState(page) {
  return page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    cookie: document.cookie,
  }));
}

async function main() {
  check(WIDGET_URL, "WIDGET_URL is not set (e.g. WIDGET_URL=http://127.0.0.1:8080/)");
  const widgetOrigin = new URL(WIDGET_URL).origin;
  let playwright;
  try {
    playwright = require("playwright-core");
  } catch {
    throw new CheckFailed("playwright-core is not installed: run `npm ci` in widget/");
  }
  const executablePath = chromiumPath();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "widget-chromium-"));
  console.log(`Widget: ${WIDGET_URL}\nChromium: ${executablePath}\nScreenshots: ${SCREENSHOT_DIR}`);

  // A persistent context on a fresh, throw-away profile: Playwright passes --user-data-dir.
  const context = await playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: !process.env.HEADED,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: DESKTOP,
    locale: "en-GB",
    timeout: 60000,
  });
  const consoleProblems = [];
  let page;
  try {
    page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(REPLY_TIMEOUT);
    page.on("pageerror", (error) => consoleProblems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      const text = message.text();
      if (message.type() !== "error") return;
      if (!consoleProblems.includes(`console: ${text}`)) consoleProblems.push(`console: ${text}`);
    });
    // Every address the page asks for: nothing may leave for another origin (fonts included).
    const requested = [];
    context.on("request", (request) => requested.push(request.url()));

    // ---------------------------------------------------------------------------------
    step("Open the page and check its security headers");
    const response = await page.goto(WIDGET_URL, { waitUntil: "domcontentloaded" });
    check(response && response.status() === 200, `GET ${WIDGET_URL} answered ${response && response.status()}`);
    const headers = response.headers();
    check((headers["content-security-policy"] || "").includes("default-src 'none'"),
      `no restrictive Content-Security-Policy header (got ${JSON.stringify(headers["content-security-policy"])})`);
    check(headers["x-content-type-options"] === "nosniff", "X-Content-Type-Options: nosniff is missing");
    check(headers["referrer-policy"] === "no-referrer", "Referrer-Policy: no-referrer is missing");
    info(`CSP: ${headers["content-security-policy"]}`);
    const config = await page.evaluate(() => window.WIDGET_CONFIG || null);
    check(config, "window.WIDGET_CONFIG is missing: /config.js did not load");
    info(`config: socketUrl=${config.socketUrl} firm=${JSON.stringify(config.firmName)} quickExit=${config.quickExitUrl}`);

    // ---------------------------------------------------------------------------------
    step("Read the disclosure banner");
    const banner = page.locator("#disclosure");
    await banner.waitFor({ state: "visible", timeout: 10000 });
    const bannerText = await banner.innerText();
    info(`banner: ${short(bannerText, 300)}`);
    for (const phrase of ["automated assistant", "not legal advice", "lawyer-client relationship"]) {
      check(bannerText.toLowerCase().includes(phrase), `the disclosure banner does not say "${phrase}"`);
    }
    if (config.privacyUrl) {
      const link = page.locator("#privacy-link");
      check(await link.isVisible(), "the privacy notice link is not visible in the banner");
      check((await link.getAttribute("href")) === config.privacyUrl,
        `the privacy link points to ${await link.getAttribute("href")}, not ${config.privacyUrl}`);
    }
    if (config.firmName) {
      check(bannerText.includes(config.firmName), `the banner does not name the firm (${config.firmName})`);
    }

    // ---------------------------------------------------------------------------------
    step("Accessibility basics: language, labels, keyboard path to the input");
    check((await page.getAttribute("html", "lang")) === "en", '<html lang="en"> is missing');
    const exitLabel = await page.getAttribute("#quick-exit", "aria-label");
    check(exitLabel && /quick exit/i.test(exitLabel), "the quick-exit button has no aria-label naming it");
    check(await page.locator("#quick-exit").isVisible(), "the Quick exit button is not visible");
    const chatLabel = await page.getAttribute("#chat", "aria-label");
    check(chatLabel, "the chat region has no aria-label");
    info(`quick exit: "${exitLabel}"; chat region: "${chatLabel}"`);

    // ---------------------------------------------------------------------------------
    step("Wait for the bot's greeting");
    await newBotMessages(page, 0, { button: "Member countries", what: "the greeting" });
    const replyA11y = await page.$$eval(REPLY, (nodes) =>
      nodes.map((node) => ({ tag: node.tagName, tabindex: node.getAttribute("tabindex"), role: node.getAttribute("role") })));
    check(replyA11y.length > 0, "the greeting shows no buttons");
    check(replyA11y.every((b) => b.tag === "A" || (b.tabindex === "0" && b.role === "button")),
      `reply buttons are not keyboard-focusable buttons: ${JSON.stringify(replyA11y)}`);
    // Tab from the top of the page until the message input has focus.
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.locator("body").focus().catch(() => {});
    let reachedInput = false;
    for (let i = 0; i < 40 && !reachedInput; i += 1) {
      await page.keyboard.press("Tab");
      reachedInput = await page.evaluate(() => Boolean(document.activeElement && document.activeElement.matches(".rw-new-message")));
    }
    check(reachedInput, "the message input cannot be reached with the Tab key");
    const focusStyle = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement);
      return { outline: style.outlineStyle, width: style.outlineWidth, border: style.borderColor, shadow: style.boxShadow };
    });
    info(`the input is reachable by Tab; focused style: ${JSON.stringify(focusStyle)}`);
    const inputLabel = await page.getAttribute(INPUT, "aria-label");
    check(inputLabel, "the message input has no aria-label");

    // ---------------------------------------------------------------------------------
    step('Click the "Member countries" button');
    await clickButton(page, "Member countries", { what: "an answer about member countries" });

    // ---------------------------------------------------------------------------------
    step("Ask a membership question");
    const question = "is South Sudan a member of interpol?";
    await type(page, question, { contains: /South Sudan/, what: "an answer about South Sudan" });

    // ---------------------------------------------------------------------------------
    step("Reload the page: the conversation must still be there");
    const botBefore = await botTexts(page);
    await page.reload({ waitUntil: "domcontentloaded" });
    await page.locator(USER, { hasText: question }).first().waitFor({ timeout: 15000 }).catch(() => {
      throw new CheckFailed("after a reload the earlier question is gone: the session was not kept");
    });
    await page.waitForTimeout(QUIET_MS);
    const botAfter = await botTexts(page);
    check(botAfter.some((text) => /South Sudan/.test(text)),
      "after a reload the answer about South Sudan is gone");
    check(botAfter.length >= botBefore.length,
      `after a reload ${botAfter.length} bot messages are shown, ${botBefore.length} before`);
    info(`${(await userTexts(page)).length} of your messages and ${botAfter.length} bot messages are still shown`);

    // ---------------------------------------------------------------------------------
    step("Request a consultation through the widget");
    await type(page, "I would like a consultation", { button: "I agree", what: "the privacy consent question" });
    await clickButton(page, "I agree", { asks: /name/i, what: "the question for your name" }, { keyboard: true });
    await type(page, "Test Person", { asks: /email|phone/i, what: "the question for contact details" });
    await type(page, "test.person@example.com", { asks: /which country|where/i, what: "the question for the current country" });
    await type(page, "Germany", { asks: /issu|extradit/i, what: "the question for the issuing country" });
    await type(page, "Russia", { button: "Red Notice", what: "the problem-type question" });
    await clickButton(page, "Red Notice", { button: "English", what: "the language question" });
    await clickButton(page, "English", { asks: /describe|skip/i, what: "the description question" });
    await type(page, "skip", { button: "Submit", what: "the summary with a Submit button" });
    const submitted = await clickButton(page, "Submit", { contains: /reference number/i, what: "the confirmation" });
    const reference = submitted.join("\n").match(/\b[A-Z]{2,}-[A-Z0-9]{4}-[A-Z0-9]{4}\b/);
    info(`confirmation received${reference ? `; reference ${reference[0]}` : ""}`);

    // ---------------------------------------------------------------------------------
    step("Screenshots: desktop, then a 375x667 phone");
    await screenshot(page, "widget-desktop.png");
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(500);
    const layout = await page.evaluate(() => {
      const size = (selector) => {
        const node = document.querySelector(selector);
        if (!node) return null;
        const box = node.getBoundingClientRect();
        return { width: Math.round(box.width), height: Math.round(box.height), top: Math.round(box.top), bottom: Math.round(box.bottom) };
      };
      return {
        scrollWidth: document.documentElement.scrollWidth,
        bodyScrollWidth: document.body.scrollWidth,
        innerWidth: window.innerWidth,
        innerHeight: window.innerHeight,
        quickExit: size("#quick-exit"),
        input: size(".rw-new-message"),
        send: size(".rw-send"),
        banner: size("#disclosure"),
      };
    });
    info(`phone layout: ${JSON.stringify(layout)}`);
    check(layout.scrollWidth <= layout.innerWidth && layout.bodyScrollWidth <= layout.innerWidth,
      `horizontal scrolling on a phone: the page is ${layout.scrollWidth}px wide in a ${layout.innerWidth}px screen`);
    check(layout.quickExit && layout.quickExit.height >= MIN_TAP && layout.quickExit.width >= MIN_TAP,
      `the Quick exit button is too small to tap: ${JSON.stringify(layout.quickExit)}`);
    check(layout.input && layout.input.height >= MIN_TAP && layout.input.bottom <= layout.innerHeight,
      `the message input is too small or off screen on a phone: ${JSON.stringify(layout.input)}`);
    check(layout.send && layout.send.height >= MIN_TAP && layout.send.width >= MIN_TAP,
      `the send button is too small to tap: ${JSON.stringify(layout.send)}`);
    check(layout.banner && layout.banner.top < layout.innerHeight / 2, "the disclosure banner is not at the top on a phone");
    await screenshot(page, "widget-phone.png");

    // ---------------------------------------------------------------------------------
    step("Quick exit button: clears this device and leaves for the neutral site");
    const exitUrl = config.quickExitUrl;
    check(exitUrl, "config.quickExitUrl is missing");
    const exitTarget = new URL(exitUrl);
    const isExitUrl = (url) => url.origin === exitTarget.origin && url.pathname === exitTarget.pathname;
    // The neutral site is answered by the browser itself: no internet needed, nothing leaves.
    await context.route((url) => isExitUrl(url), (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>Weather</title><p>Neutral page</p>" }));
    await context.route(`${widgetOrigin}/__storage_check__`, (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>check</title>" }));
    await page.evaluate(() => { document.cookie = "widget_test_cookie=1; path=/"; sessionStorage.setItem("widget_test", "1"); });
    const beforeExit = await storageState(page);
    info(`before: localStorage ${JSON.stringify(beforeExit.local)}, sessionStorage ${JSON.stringify(beforeExit.session)}, cookies "${beforeExit.cookie}"`);
    check(beforeExit.local.includes("chat_session"), "the conversation is not in localStorage before the quick exit (storage: local?)");
    await page.click("#quick-exit");
    await page.waitForURL((url) => isExitUrl(url), { timeout: 15000 }).catch(() => {
      throw new CheckFailed(`the quick exit did not go to ${exitUrl} (now at ${page.url()})`);
    });
    info(`now at ${page.url()}`);
    await page.goBack({ timeout: 5000 }).catch(() => null);
    check(!page.url().startsWith(widgetOrigin), `Back returns to the chat page (${page.url()}): location.replace was not used`);
    info(`Back goes to ${page.url()}, not to the chat`);
    await page.goto(`${widgetOrigin}/__storage_check__`);
    const afterExit = await storageState(page);
    const cookiesLeft = await context.cookies(widgetOrigin);
    info(`after: localStorage ${JSON.stringify(afterExit.local)}, sessionStorage ${JSON.stringify(afterExit.session)}, cookies ${JSON.stringify(cookiesLeft.map((c) => c.name))}`);
    check(afterExit.local.length === 0, `localStorage is not empty after the quick exit: ${JSON.stringify(afterExit.local)}`);
    check(afterExit.session.length === 0, `sessionStorage is not empty after the quick exit: ${JSON.stringify(afterExit.session)}`);
    check(cookiesLeft.length === 0, `cookies are left after the quick exit: ${JSON.stringify(cookiesLeft.map((c) => c.name))}`);

    // ---------------------------------------------------------------------------------
    step("Escape pressed twice: the same quick exit, and a new visit starts a new conversation");
    await page.setViewportSize(DESKTOP);
    await page.goto(WIDGET_URL, { waitUntil: "domcontentloaded" });
    await newBotMessages(page, 0, { button: "Member countries", what: "a new greeting" });
    const shown = await userTexts(page);
    check(!shown.includes(question), "the earlier conversation is shown again after the quick exit");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Escape");
    await page.waitForURL((url) => isExitUrl(url), { timeout: 15000 }).catch(() => {
      throw new CheckFailed(`Escape twice did not leave for ${exitUrl} (now at ${page.url()})`);
    });
    await page.goto(`${widgetOrigin}/__storage_check__`);
    const afterEscape = await storageState(page);
    check(afterEscape.local.length === 0, `localStorage is not empty after Escape twice: ${JSON.stringify(afterEscape.local)}`);
    info("Escape twice left for the neutral site and cleared the conversation");

    // ---------------------------------------------------------------------------------
    step("The page in Arabic (?lang=ar): right to left, its texts, a reply in Arabic, fonts from this origin");
    await page.goto(`${WIDGET_URL}?lang=ar`, { waitUntil: "domcontentloaded" });
    const arabic = config.languages.find((language) => language.code === "ar");
    check(arabic, "Arabic is not among the page's languages (firm.yml conversation.languages)");
    check((await page.getAttribute("html", "dir")) === "rtl", '<html dir="rtl"> is missing on the Arabic page');
    check((await page.getAttribute("html", "lang")) === "ar", '<html lang="ar"> is missing on the Arabic page');
    check((await page.innerText("#quick-exit")).trim() === arabic.texts.quick_exit,
      `the Quick exit button is not in Arabic: "${await page.innerText("#quick-exit")}"`);
    const arabicBanner = await page.innerText("#disclosure");
    check(arabicBanner.includes(arabic.texts.disclaimer), `the disclosure banner is not in Arabic: ${short(arabicBanner)}`);
    const greetingAr = await newBotMessages(page, 0, { contains: /[\u0600-\u06FF]/, what: "the greeting in Arabic" });
    info(`greeting: ${short(greetingAr.join(" | "))}`);
    const placeholder = await page.getAttribute(INPUT, "placeholder");
    check(placeholder === arabic.texts.placeholder, `the input's placeholder is not in Arabic: "${placeholder}"`);
    const beforeAr = (await botTexts(page)).length;
    await type(page, "هل صربيا عضو في الإنتربول؟", { contains: /صربيا/, what: "an answer in Arabic about Serbia" });
    const fonts = await page.evaluate(() => Array.from(document.fonts).filter((f) => f.status === "loaded").map((f) => f.family));
    info(`fonts loaded: ${JSON.stringify([...new Set(fonts)])}; ${(await botTexts(page)).length - beforeAr} new messages`);
    check(fonts.some((family) => family.includes("Noto Sans Arabic")), "the Arabic font (Noto Sans Arabic) was not loaded");
    await screenshot(page, "widget-arabic.png");

    // ---------------------------------------------------------------------------------
    step("The page in Ukrainian (?lang=uk), and a question answered in Ukrainian");
    await context.clearCookies();
    await page.evaluate(() => { localStorage.clear(); sessionStorage.clear(); });
    await page.goto(`${WIDGET_URL}?lang=uk`, { waitUntil: "domcontentloaded" });
    const ukrainian = config.languages.find((language) => language.code === "uk");
    check((await page.getAttribute("html", "dir")) === "ltr", "the Ukrainian page is not left to right");
    check((await page.innerText("#quick-exit")).trim() === ukrainian.texts.quick_exit, "the Quick exit button is not in Ukrainian");
    await newBotMessages(page, 0, { contains: /[іїєґ]/i, what: "the greeting in Ukrainian" });
    await type(page, "Чи є Сербія членом Інтерполу?", { contains: /Сербія/, what: "an answer in Ukrainian about Serbia" });
    await screenshot(page, "widget-ukrainian.png");
    const foreign = requested.filter((url) => { try { return new URL(url).origin !== widgetOrigin && !url.startsWith(config.socketUrl || widgetOrigin) && !isExitUrl(new URL(url)); } catch { return false; } });
    info(`${requested.length} requests, ${foreign.length} to other origins`);
    check(!requested.some((url) => url.includes("fonts.googleapis.com") || url.includes("fonts.gstatic.com")),
      "the page asked Google Fonts for a font");
    check(requested.some((url) => url.includes("/fonts/noto-sans")), "no font was fetched from the page's own origin");

    console.log("\nAll widget checks passed.");
  } catch (error) {
    if (page) {
      try {
        await screenshot(page, "widget-failure.png");
      } catch { /* the page may be gone */ }
    }
    throw error;
  } finally {
    if (consoleProblems.length) {
      console.log(`\nBrowser console (informational, ${consoleProblems.length}):`);
      consoleProblems.slice(0, 20).forEach((line) => console.log(`    ${short(line, 300)}`));
    }
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    if (error instanceof CheckFailed) {
      console.error(`\nFAILED at step ${stepNumber}: ${error.message}`);
    } else {
      console.error(`\nFAILED at step ${stepNumber} (unexpected error): ${error && error.stack ? error.stack : error}`);
    }
    process.exit(1);
  },
);
