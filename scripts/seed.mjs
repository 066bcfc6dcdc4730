// `npm run db:seed`: loads the demo data (scripts/demo-data.mjs) into the local D1. Idempotent:
// every row is INSERT OR IGNORE, so rows already there are left as they are. The counters come
// from the database's triggers, never from here.
import { pathToFileURL } from "node:url";
import { follows, liveStreams, users } from "./demo-data.mjs";
import { executeLocalFile, info, insertOrIgnore } from "./lib.mjs";

/** The demo data as one SQL script: users first, then the rows that reference them. */
export function demoSql() {
  return [
    ...users.map((row) => insertOrIgnore("users", row)),
    ...follows.map((row) => insertOrIgnore("follows", row)),
    ...liveStreams.map((row) => insertOrIgnore("live_streams", row)),
  ].join("\n");
}

export async function seed() {
  info(
    `Loading demo data: ${users.length} users, ${follows.length} follows, ${liveStreams.length} live streams`,
  );
  const results = await executeLocalFile(`${demoSql()}\n`);
  info(`Demo data loaded (${results.length} statements; rows already present were kept)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  seed().catch((error) => {
    info(`db:seed failed: ${error.message}`);
    info("Are the local migrations applied? Run `npm run db:migrate:local` (or `npm run dev`) first.");
    process.exitCode = 1;
  });
}
