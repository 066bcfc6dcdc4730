// `npm run test:browser`: an end-to-end check of the Swagger UI page at /docs in a real Chromium.
//   1. starts `npm run dev` on its own port (PORT when set, else a free one the system picks; its own
//      process group, output to bench/out/browser-check-dev.log) and waits for /api/v1/health; it is always stopped at the end (its process group, by the id of
//      the process this script started), on failure and on Ctrl-C too;
//   2. gets a token for the local user "browsercheck" (`npm run -s dev:user -- browsercheck`);
//   3. opens http://127.0.0.1:<port>/docs (not localhost: the docs must work from any address) in
//      Debian's Chromium (/usr/bin/chromium, see scripts/ensure-chromium.sh) through playwright-core,
//      failing on any console error, page error or request to a non-local host;
//   4. checks the Development server is the page's own origin (the relative server "/"),
//      authorizes with the token, runs GET /api/v1/users/me/stats and PATCH
//      /api/v1/users/profile/photo (with test/fixtures/photo-progressive.jpg) through "Try it
//      out" / "Execute", and checks the responses Swagger UI shows and the uploaded photo's URL, and
//      that the playground sent the defaults the seeds show (Accept-Language en, no X-App-Version);
//   5. saves a full-page screenshot to bench/out/docs-screenshot.png.
// Prints one OK line per step on stdout. Exit code 0 when every step passed; 1 with the failing step
// on stderr; 130 when interrupted. It never touches a server it did not start.
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { freePort, pointedPort } from "./lib.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PORT = pointedPort([]).port ?? (await freePort());
// Not localhost, which the allowed CORS origin names: Try it out must be same-origin wherever /docs is opened.
const ORIGIN = `http://127.0.0.1:${PORT}`;
const DEVELOPMENT_SERVER = "/";
const OUT_DIR = join(ROOT, "bench", "out");
const DEV_LOG = join(OUT_DIR, "browser-check-dev.log");
const SCREENSHOT = join(OUT_DIR, "docs-screenshot.png");
const CHROMIUM = "/usr/bin/chromium";
// The metadata-free JPEG of test/fixtures (photo-gps.jpg is the one carrying location metadata).
const PHOTO = join(ROOT, "test", "fixtures", "photo-progressive.jpg");
const HEALTH_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 30_000;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);

const started = Date.now();
const summary = [];
let devServer; // the `npm run dev` child, leader of its own process group
let browser;
let currentStep = "setup";

function log(message) {
  process.stderr.write(`[browser-check] ${message}\n`);
}

function ok(message) {
  summary.push(message);
  log(`OK   ${message}`);
}

class CheckError extends Error {}

function fail(message) {
  throw new CheckError(message);
}

/** Runs one named step; a failure names it. */
async function step(name, body) {
  currentStep = name;
  const result = await body();
  ok(name);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Dev server

/** True when something accepts TCP connections on the port (IPv4 or IPv6 loopback). */
function portAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (inUse) => {
      socket.destroy();
      resolve(inUse);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function assertPortFree() {
  for (const host of ["127.0.0.1", "::1"]) {
    if (await portAnswers(host, PORT))
      fail(
        `port ${PORT} is already in use (something answers on ${host}:${PORT}). Stop the other ` +
          `server (e.g. a running \`npm run dev\`: \`ss -ltnp | grep ${PORT}\` shows its pid) and run again.`,
      );
  }
}

function startDevServer() {
  mkdirSync(OUT_DIR, { recursive: true });
  const logFd = openSync(DEV_LOG, "w");
  // detached: a new process group led by npm, so wrangler and workerd can be stopped together.
  devServer = spawn("npm", ["run", "dev", "--", "--port", String(PORT)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", logFd, logFd],
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", PORT: String(PORT) },
  });
  closeSync(logFd);
  devServer.exited = new Promise((resolve) => {
    devServer.once("exit", (code, signal) => resolve({ code, signal }));
    devServer.once("error", (error) => resolve({ code: null, signal: null, error }));
  });
  log(`started npm run dev (pid ${devServer.pid}), output in ${DEV_LOG}`);
}

function tailOfDevLog(lines = 25) {
  if (!existsSync(DEV_LOG)) return "";
  const text = readFileSync(DEV_LOG, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  return `\n--- last lines of ${DEV_LOG} ---\n${text}\n---`;
}

async function waitForHealth() {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let exited = null;
  devServer.exited.then((result) => {
    exited = result;
  });
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (exited)
      fail(
        `npm run dev exited before the server was ready (${exited.error?.message ?? exited.signal ?? `exit ${exited.code}`})${tailOfDevLog()}`,
      );
    try {
      const response = await fetch(`${ORIGIN}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
      if (response.ok) return response.status;
      lastProblem = `status ${response.status}`;
    } catch (error) {
      lastProblem = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  fail(
    `${ORIGIN}/api/v1/health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (${lastProblem})${tailOfDevLog()}`,
  );
}

/** Signals the dev server's process group (npm, node scripts/dev.mjs, wrangler, workerd, esbuild). */
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (error.code === "ESRCH") return false; // the whole group is gone
    throw error;
  }
}

/** True once no process of the group is left (signal 0 checks without signalling). */
async function groupGone(pgid, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!signalGroup(pgid, 0)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return !signalGroup(pgid, 0);
}

/**
 * Stops the dev server by the id of the process this script started, which leads its own process
 * group: SIGTERM to the group, SIGKILL after 10 s; then checks that its port is closed.
 */
async function stopDevServer() {
  if (!devServer?.pid) return;
  const pgid = devServer.pid;
  devServer = undefined;
  signalGroup(pgid, "SIGTERM");
  if (!(await groupGone(pgid, 10_000))) {
    log(`dev server process group ${pgid} still running after SIGTERM: sending SIGKILL`);
    signalGroup(pgid, "SIGKILL");
    if (!(await groupGone(pgid, 5_000)))
      throw new Error(`could not stop the dev server process group ${pgid}`);
  }
  for (let tries = 0; tries < 25; tries++) {
    if (!(await portAnswers("127.0.0.1", PORT)) && !(await portAnswers("::1", PORT))) {
      log(`dev server stopped (process group ${pgid}), port ${PORT} closed`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the dev server's process group is gone but port ${PORT} still answers`);
}

// ---------------------------------------------------------------------------------------------
// Token

function getToken() {
  return new Promise((resolve, reject) => {
    execFile(
      "npm",
      ["run", "-s", "dev:user", "--", "browsercheck"],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error)
          return reject(
            new CheckError(`npm run -s dev:user -- browsercheck failed: ${error.message}\n${stderr}`),
          );
        const line = stdout.trim().split("\n").at(-1) ?? "";
        try {
          const user = JSON.parse(line);
          if (typeof user.token !== "string" || user.token.split(".").length !== 3)
            throw new Error("no JWT in it");
          resolve(user);
        } catch (parseError) {
          reject(new CheckError(`unexpected dev:user output (${parseError.message}): ${stdout}`));
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Browser

function isLocalUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  return LOCAL_HOSTS.has(parsed.hostname);
}

/** Everything the page must not do, collected while the steps run and checked after each. */
function watchPage(context, page) {
  const problems = [];
  const requests = [];
  context.on("request", (request) => {
    requests.push(request.url());
    if (!isLocalUrl(request.url()))
      problems.push(`request to a non-local host: ${request.method()} ${request.url()}`);
  });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const url = message.location()?.url ?? "";
    const where = url ? ` (${url}:${message.location().lineNumber})` : "";
    problems.push(`console error: ${message.text()}${where}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("crash", () => problems.push("the page crashed"));
  return {
    requests,
    assertClean(when) {
      if (problems.length) fail(`${when}:\n  ${problems.join("\n  ")}`);
    },
  };
}

/** The operation block of a method and path, found by Swagger UI's data-path attribute. */
function operation(page, method, path) {
  return page
    .locator(`.opblock.opblock-${method.toLowerCase()}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

/** Expands an operation and makes sure "Try it out" is on (tryItOutEnabled may already have done it). */
async function openTryItOut(page, method, path) {
  const block = operation(page, method, path);
  const count = await block.count();
  if (count !== 1) fail(`expected one ${method} ${path} operation on the page, found ${count}`);
  if (!(await block.evaluate((element) => element.classList.contains("is-open")))) {
    await block.locator(".opblock-summary").first().click();
  }
  await block.locator(".opblock-body").waitFor({ timeout: UI_TIMEOUT_MS });
  // The toggle reads "Try it out" (off) or "Cancel" (on, class "cancel"); operations with a request
  // body also have a "Reset" button of the same class.
  const tryOut = block.locator("button.try-out__btn:not(.reset)");
  await tryOut.waitFor({ timeout: UI_TIMEOUT_MS });
  if (!(await tryOut.evaluate((button) => button.classList.contains("cancel")))) await tryOut.click();
  // In try-it-out mode the button reads "Cancel" and "Execute" appears.
  await block.locator("button.execute").waitFor({ timeout: UI_TIMEOUT_MS });
  return block;
}

/**
 * Clicks Execute and waits for the request Swagger UI sends and for its live response section;
 * returns the status and body Swagger UI shows, plus the network response.
 */
async function execute(page, block, method, path) {
  const url = `${ORIGIN}${path}`;
  const [response] = await Promise.all([
    page.waitForResponse((candidate) => candidate.url() === url && candidate.request().method() === method, {
      timeout: UI_TIMEOUT_MS,
    }),
    block.locator("button.execute").click(),
  ]);
  const live = block.locator(".responses-wrapper .live-responses-table .response");
  const statusCell = live.locator(".response-col_status").first();
  await statusCell.waitFor({ timeout: UI_TIMEOUT_MS });
  const shownStatus = ((await statusCell.textContent()) ?? "").trim();
  const bodyElement = live.locator(".response-col_description .highlight-code pre").first();
  await bodyElement.waitFor({ timeout: UI_TIMEOUT_MS });
  const shownBody = (await bodyElement.textContent()) ?? "";
  const requestUrl = (
    await block
      .locator(".request-url pre")
      .first()
      .textContent()
      .catch(() => "")
  )?.trim();
  return { response, shownStatus, shownBody, requestUrl };
}

function parseShownJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(`${what}: the response body Swagger UI shows is not JSON (${error.message}): ${text.slice(0, 500)}`);
  }
}

async function runBrowserChecks(token) {
  currentStep = "launch Chromium";
  if (!existsSync(CHROMIUM))
    fail(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)`);
  // chromium.launch gives every launch a fresh temporary user-data dir (playwright_chromiumdev_profile-*),
  // removed again by browser.close().
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  const watcher = watchPage(context, page);
  ok(`launch Chromium ${browser.version()}`);

  await step("open /docs (Swagger UI rendered the operations)", async () => {
    const response = await page.goto(`${ORIGIN}/docs`, { waitUntil: "load" });
    if (response?.status() !== 200) fail(`GET /docs answered ${response?.status()}`);
    await page.locator(".swagger-ui .info .title").waitFor();
    await page.locator(".opblock-summary-path").first().waitFor();
    await page.waitForLoadState("networkidle");
    watcher.assertClean("while loading /docs");
  });

  await step(`select the Development server (${DEVELOPMENT_SERVER}: the page's own origin)`, async () => {
    const select = page.locator(".servers select");
    await select.waitFor();
    const options = await select.locator("option").evaluateAll((nodes) => nodes.map((node) => node.value));
    if (options[0] !== DEVELOPMENT_SERVER)
      fail(
        `the first server is ${options[0]}, expected ${DEVELOPMENT_SERVER} (options: ${options.join(", ")})`,
      );
    await select.selectOption(DEVELOPMENT_SERVER);
    const selected = await select.inputValue();
    if (selected !== DEVELOPMENT_SERVER)
      fail(`the servers dropdown shows ${selected}, expected ${DEVELOPMENT_SERVER}`);
  });

  await step("authorize with the browsercheck token", async () => {
    await page.locator(".scheme-container button.authorize, .auth-wrapper button.authorize").first().click();
    const dialog = page.locator(".dialog-ux .modal-ux");
    await dialog.waitFor();
    const container = dialog.locator(".auth-container").first();
    const input = container.locator("input").first();
    await input.fill(token);
    await container.locator("button.authorize").click();
    // Authorized: the scheme shows "Authorized" and offers Logout.
    await container.locator("button", { hasText: "Logout" }).waitFor();
    await dialog.locator("button.btn-done, button.close-modal").first().click();
    await dialog.waitFor({ state: "detached" });
    watcher.assertClean("while authorizing");
  });

  const statsPath = "/api/v1/users/me/stats";
  await step(
    `GET ${statsPath}: 200 with followersCount, sent with Accept-Language en and no X-App-Version`,
    async () => {
      const block = await openTryItOut(page, "GET", statsPath);
      const { response, shownStatus, shownBody, requestUrl } = await execute(page, block, "GET", statsPath);
      if (response.request().headers().authorization !== `Bearer ${token}`)
        fail("the request Swagger UI sent did not carry the token as Authorization: Bearer");
      if (shownStatus !== "200")
        fail(
          `Swagger UI shows status ${shownStatus} (network ${response.status()}): ${shownBody.slice(0, 500)}`,
        );
      if (!shownBody.includes("followersCount"))
        fail(`the response body does not show followersCount: ${shownBody.slice(0, 500)}`);
      const body = parseShownJson(shownBody, statsPath);
      if (typeof body?.data?.followersCount !== "number")
        fail(`data.followersCount is not a number: ${shownBody.slice(0, 500)}`);
      if (requestUrl && !requestUrl.startsWith(ORIGIN))
        fail(`the request went to ${requestUrl}, not ${ORIGIN}`);
      // The seeds' playground: the language is an en/tr choice defaulting to en, and no app version
      // is invented for the developer.
      const sent = response.request().headers();
      if (sent["accept-language"] !== "en")
        fail(`Try it out sent Accept-Language "${sent["accept-language"]}", expected the default "en"`);
      if ("x-app-version" in sent)
        fail(`Try it out sent X-App-Version "${sent["x-app-version"]}" by default`);
      const language = await block
        .locator('tr[data-param-name="Accept-Language"] select')
        .inputValue()
        .catch(() => undefined);
      if (language !== "en") fail(`the Accept-Language choice shows "${language}", expected "en"`);
      if (body.errors?.length) fail(`unexpected errors: ${body.errors.join("; ")}`);
      watcher.assertClean(`while running GET ${statsPath}`);
    },
  );

  const photoPath = "/api/v1/users/profile/photo";
  const photoUrl = await step(
    `PATCH ${photoPath} with ${PHOTO.slice(ROOT.length)}: 200 with profilePhoto.url`,
    async () => {
      const block = await openTryItOut(page, "PATCH", photoPath);
      const fileInput = block.locator('input[type="file"]');
      if ((await fileInput.count()) !== 1)
        fail(`expected one file input in PATCH ${photoPath}, found ${await fileInput.count()}`);
      await fileInput.setInputFiles(PHOTO);
      const { response, shownStatus, shownBody } = await execute(page, block, "PATCH", photoPath);
      if (shownStatus !== "200")
        fail(
          `Swagger UI shows status ${shownStatus} (network ${response.status()}): ${shownBody.slice(0, 800)}`,
        );
      const body = parseShownJson(shownBody, photoPath);
      const url = body?.data?.profilePhoto?.url;
      if (typeof url !== "string" || !/^https?:\/\//.test(url))
        fail(`the response has no data.profilePhoto.url: ${shownBody.slice(0, 800)}`);
      watcher.assertClean(`while running PATCH ${photoPath}`);
      return url;
    },
  );
  summary[summary.length - 1] += ` (${photoUrl})`;

  const fetched = await step("fetch the uploaded photo: 200 with an image content type", async () => {
    const response = await page.request.get(photoUrl);
    const type = response.headers()["content-type"] ?? "";
    if (response.status() !== 200) fail(`GET ${photoUrl} answered ${response.status()}`);
    if (!/^image\//.test(type)) fail(`GET ${photoUrl} has content-type "${type}", not an image`);
    return `${type}, ${(await response.body()).length} bytes`;
  });
  summary[summary.length - 1] += ` (${fetched})`;

  await step(`full-page screenshot ${SCREENSHOT.slice(ROOT.length)}`, async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  currentStep = "final check of the page";
  watcher.assertClean("by the end of the run");
  const nonLocal = watcher.requests.filter((url) => !isLocalUrl(url));
  ok(
    `no console errors, no page errors, ${watcher.requests.length} requests, ` +
      `${nonLocal.length} to non-local hosts`,
  );
}

// ---------------------------------------------------------------------------------------------

/** Closes Chromium and stops the dev server; one shared run, whoever asks first (a signal or the end). */
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    if (browser) await browser.close().catch((error) => log(`closing Chromium: ${error.message}`));
    await stopDevServer();
  })();
  return cleaning;
}

let interrupted; // the signal that interrupted the run
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    log(`${signal}: stopping Chromium and the dev server`);
    cleanup()
      .catch((error) => log(`FAIL cleanup: ${error.message}`))
      .finally(() => {
        process.stdout.write(`browser check INTERRUPTED by ${signal} at step "${currentStep}"\n`);
        process.exit(130);
      });
  });
}

async function main() {
  await step(`port ${PORT} is free`, assertPortFree);
  await step(`dev server answers ${ORIGIN}/api/v1/health`, async () => {
    startDevServer();
    await waitForHealth();
  });
  const user = await step("token from npm run -s dev:user -- browsercheck", getToken);
  summary[summary.length - 1] += ` (user ${user.username}, ${user.id})`;
  await runBrowserChecks(user.token);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  // After a signal the steps fail because we stopped their server or browser: the handler reports.
  if (!interrupted) {
    const message = error instanceof CheckError ? error.message : (error.stack ?? String(error));
    log(`FAIL ${currentStep}: ${message}`);
  }
} finally {
  try {
    await cleanup();
  } catch (error) {
    exitCode = 1;
    log(`FAIL cleanup: ${error.message}`);
  }
}
if (interrupted) await new Promise((resolve) => setTimeout(resolve, 60_000)); // the signal handler exits

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (exitCode === 0) {
  const lines = summary.map((line) => `  OK   ${line}`);
  process.stdout.write(`browser check passed in ${seconds} s\n${lines.join("\n")}\n`);
} else {
  process.stdout.write(`browser check FAILED in ${seconds} s at step "${currentStep}" (details above)\n`);
}
process.exit(exitCode);
