// The local D1 database opened directly with node:sqlite (Node 22), for scripts that must answer
// fast: no wrangler start-up. A module of its own, so the scripts that do not need it (and the tests
// that import the seed) never load node:sqlite.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ROOT } from "./lib.mjs";

// Where Miniflare keeps the local D1 databases: one SQLite file per database, named by a hash.
const LOCAL_D1_DIR = join(ROOT, ".wrangler", "state", "v3", "d1", "miniflare-D1DatabaseObject");

/**
 * The local D1 database (the one with the users table) opened with node:sqlite, for scripts that
 * must answer fast (dev:user): no wrangler start-up. SQLite's own locking makes this safe while
 * `npm run dev` has the file open; a busy database is waited for, not failed.
 */
export function openLocalDatabase() {
  const files = existsSync(LOCAL_D1_DIR)
    ? readdirSync(LOCAL_D1_DIR).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")
    : [];
  for (const name of files) {
    const database = new DatabaseSync(join(LOCAL_D1_DIR, name));
    const hasUsers = database
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'")
      .get();
    if (hasUsers) {
      database.exec("PRAGMA busy_timeout = 5000");
      return database;
    }
    database.close();
  }
  throw new Error(`no local D1 database with a users table in ${LOCAL_D1_DIR}`);
}
