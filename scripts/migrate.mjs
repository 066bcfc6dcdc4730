// `npm run db:migrate:local` and `npm run deploy`: applies the D1 migrations to the directory and to
// every shard that wrangler.toml binds (USERS_0, USERS_1…), `--local` (the default) or `--remote`.
import { applyMigrations, info } from "./lib.mjs";

const where = process.argv.includes("--remote") ? "--remote" : "--local";
applyMigrations(where).catch((error) => {
  info(`migrations failed: ${error.message}`);
  process.exitCode = 1;
});
