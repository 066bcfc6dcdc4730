// `npm run dev [-- --port N]`: prepares the local environment and runs `wrangler dev` on port N
// (`--port N`, else the PORT environment variable, else 8787).
//   1. creates .dev.vars from .dev.vars.example when missing;
//   2. applies the D1 migrations to the local databases: the directory and every shard;
//   3. loads the demo data when the local shards have no users;
//   4. runs wrangler dev with the terminal attached, forwards signals, exits with its code; while it
//      runs, .wrangler/dev-servers/<port>.json names it, so dev:cron finds this server (and only it).
// The scheduled handler: `npm run dev:cron`, or curl "http://localhost:<port>/cdn-cgi/local/scheduled"
// (the URL wrangler prints; it serves it in local dev without any flag).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import {
  applyLocalMigrations,
  assertPortFree,
  DEFAULT_PORT,
  devLogFile,
  ensureDevVars,
  info,
  localShards,
  pointedPort,
  queryLocal,
  ROOT,
  recordDevServer,
  WRANGLER,
  wranglerEnv,
} from "./lib.mjs";
import { seed } from "./seed.mjs";

async function prepare() {
  ensureDevVars();
  info("Applying local D1 migrations");
  await applyLocalMigrations();
  let count = 0;
  for (const shard of localShards()) {
    const [[counted] = []] = await queryLocal("SELECT count(*) AS users FROM users", shard);
    count += counted?.users ?? 0;
  }
  if (count === 0) await seed();
  else info(`Local shards have ${count} users: demo data not loaded (npm run db:seed loads it)`);
}

function runWranglerDev(port, extraArgs) {
  // wrangler refuses a second --port: ours is the only one it gets.
  const child = spawn(WRANGLER, ["dev", "--port", String(port), ...extraArgs], {
    cwd: ROOT,
    env: wranglerEnv({ WRANGLER_LOG_PATH: devLogFile(port) }),
    stdio: "inherit",
  });
  const forget = recordDevServer(port);
  // Ctrl-C reaches wrangler directly (same process group); a signal sent to this process alone
  // (kill <pid>, a process manager) is passed on, and we exit when wrangler has.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on("error", (error) => {
    forget();
    info(`could not start wrangler: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    forget();
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
}

let options;
try {
  options = pointedPort(process.argv.slice(2));
} catch (error) {
  info(`npm run dev: ${error.message}`);
  process.exit(2);
}
const port = options.port ?? DEFAULT_PORT;
assertPortFree(port)
  .then(prepare)
  .then(
    () => runWranglerDev(port, options.rest),
    (error) => {
      info(`npm run dev: ${error.message}`);
      process.exit(1);
    },
  );
