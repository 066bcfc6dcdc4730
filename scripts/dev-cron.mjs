// `npm run dev:cron [-- --port N]`: runs the Cron Trigger once on the running `npm run dev`
// server, through the URL wrangler prints for it (/cdn-cgi/local/scheduled), then prints the
// summary lines that its jobs logged (one each), read back from the dev server's log file
// (`npm run dev` points WRANGLER_LOG_PATH at .wrangler/logs/dev-<port>.log). Only those JSON lines
// go to stdout. The server is the one given by --port or PORT, else the `npm run dev` of this
// folder; never whatever happens to answer on 8787.
import { existsSync, readFileSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { devLogFile, info, targetPort } from "./lib.mjs";

// The handler's own log message (src/features/account-deletion/deletion-cron.ts).
// Each cron job's log message (src/scheduled.ts).
const SUMMARY_MESSAGE = "cron job";
// The jobs log at once, but not in one write: once a line is there, the others get this long.
const SETTLE_MS = 500;
const CRON = "*/15 * * * *";
// wrangler appends to its log file asynchronously: give it a few seconds.
const LOG_POLLS = 50;
const LOG_POLL_MS = 100;

function summariesAfter(file, offset) {
  const text = readFileSync(file).subarray(offset).toString("utf8");
  return text
    .split("\n")
    .filter((candidate) => candidate.includes(`"message":"${SUMMARY_MESSAGE}"`))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))));
}

async function main() {
  const { port, rest } = targetPort(process.argv.slice(2));
  if (rest.length > 0)
    throw new Error(`unknown arguments: ${rest.join(" ")} (usage: npm run dev:cron -- [--port N])`);
  const candidate = devLogFile(port);
  const logFile = existsSync(candidate) ? candidate : undefined;
  const offset = logFile ? statSync(logFile).size : 0;
  const url = `http://localhost:${port}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(CRON)}`;
  const response = await fetch(url).catch((error) => {
    throw new Error(`no dev server at localhost:${port} (start it with npm run dev): ${error.message}`);
  });
  info(`${url} → ${response.status} ${(await response.text()).trim()}`);
  if (!logFile) {
    info(`no ${candidate}: the summary is in the dev server's terminal`);
    return;
  }
  for (let poll = 0; poll < LOG_POLLS; poll += 1) {
    if (summariesAfter(logFile, offset).length > 0) {
      await sleep(SETTLE_MS);
      for (const summary of summariesAfter(logFile, offset))
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (response.status !== 200) process.exitCode = 1;
      return;
    }
    await sleep(LOG_POLL_MS);
  }
  throw new Error(`no "${SUMMARY_MESSAGE}" line in ${logFile}: was the server started with npm run dev?`);
}

main().catch((error) => {
  info(`dev:cron: ${error.message}`);
  process.exitCode = 1;
});
