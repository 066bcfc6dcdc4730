// `npm run dev`: prepares the local environment and runs `wrangler dev` on port 8787.
//   1. creates .dev.vars from .dev.vars.example when missing;
//   2. applies the D1 migrations to the local database (non-interactively);
//   3. loads the demo data when the local database has no users;
//   4. runs wrangler dev with the terminal attached, forwards signals, exits with its code.
// The scheduled handler: `npm run dev:cron`, or curl "http://localhost:8787/cdn-cgi/local/scheduled"
// (the URL wrangler prints; it serves it in local dev without any flag).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import {
  applyLocalMigrations,
  DEV_LOG_DIR,
  ensureDevVars,
  info,
  queryLocal,
  ROOT,
  WRANGLER,
  wranglerEnv,
} from "./lib.mjs";
import { seed } from "./seed.mjs";

const PORT = "8787";

async function prepare() {
  ensureDevVars();
  info("Applying local D1 migrations");
  await applyLocalMigrations();
  const [[counted] = []] = await queryLocal("SELECT count(*) AS users FROM users");
  if (counted?.users === 0) await seed();
  else info(`Local database has ${counted?.users} users: demo data not loaded (npm run db:seed loads it)`);
}

function runWranglerDev(extraArgs) {
  const child = spawn(WRANGLER, ["dev", "--port", PORT, ...extraArgs], {
    cwd: ROOT,
    env: wranglerEnv({ WRANGLER_LOG_PATH: DEV_LOG_DIR }),
    stdio: "inherit",
  });
  // Ctrl-C reaches wrangler directly (same process group); a signal sent to this process alone
  // (kill <pid>, a process manager) is passed on, and we exit when wrangler has.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on("error", (error) => {
    info(`could not start wrangler: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
}

prepare().then(
  () => runWranglerDev(process.argv.slice(2)),
  (error) => {
    info(`npm run dev: ${error.message}`);
    process.exit(1);
  },
);
