// The local D1 databases opened directly with node:sqlite (Node 22), for scripts that must answer
// fast: no wrangler start-up. A module of its own, so the scripts that do not need it (and the tests
// that import the seed) never load node:sqlite.
import { createHash, createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { localDatabases, ROOT } from "./lib.mjs";

// Where Miniflare keeps the local D1 databases: one SQLite file per database.
const LOCAL_D1_DIR = join(ROOT, ".wrangler", "state", "v3", "d1", "miniflare-D1DatabaseObject");

/**
 * Miniflare's file name for a database: the id of the Durable Object named by its database_id
 * (idFromName: an HMAC of the name, then an HMAC of that, under a key derived from the class).
 */
function localFileName(databaseId) {
  const key = createHash("sha256").update("miniflare-D1DatabaseObject").digest();
  const name = createHmac("sha256", key).update(databaseId).digest().subarray(0, 16);
  const check = createHmac("sha256", key).update(name).digest().subarray(0, 16);
  return `${Buffer.concat([name, check]).toString("hex")}.sqlite`;
}

/**
 * The local database of a wrangler.toml binding, opened with node:sqlite. SQLite's own locking
 * makes this safe while `npm run dev` has the file open; a busy database is waited for, not failed.
 */
export function openLocalDatabase(binding) {
  const database = localDatabases().find((candidate) => candidate.binding === binding);
  if (!database?.databaseId) throw new Error(`no D1 database with binding ${binding} in wrangler.toml`);
  const file = join(LOCAL_D1_DIR, localFileName(database.databaseId));
  if (!existsSync(file)) throw new Error(`no local D1 database for ${binding} (${file})`);
  const opened = new DatabaseSync(file);
  opened.exec("PRAGMA busy_timeout = 5000");
  return opened;
}
