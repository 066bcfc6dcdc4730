// `npm run db:seed`: loads the demo data (scripts/demo-data.mjs) into the local databases, each row
// where the Worker looks for it: a user on its shard (src/lib/buckets.ts, the even split the local
// layout uses), a follow on both users' shards, a live stream on its owner's, and every username and
// email (as its keyed hash) in the directory. Idempotent: every row is INSERT OR IGNORE. The
// counters come from the databases' triggers, never from here.
import { pathToFileURL } from "node:url";
import { bucketOf, evenShardOf } from "../src/lib/buckets.ts";
import { emailHash } from "../src/users/email-hash.ts";
import { follows, liveStreams, users } from "./demo-data.mjs";
import { DIRECTORY, executeLocalFile, info, insertOrIgnore, localShards, readDevVars } from "./lib.mjs";

/** The demo data as one SQL script, as one database holds it (the tests check it for collisions). */
export function demoSql() {
  return [
    ...users.map((row) => insertOrIgnore("users", row)),
    ...follows.map((row) => insertOrIgnore("follows", row)),
    ...liveStreams.map((row) => insertOrIgnore("live_streams", row)),
  ].join("\n");
}

/** Each local database's share of the demo data, as SQL scripts keyed by binding. */
export async function demoSqlByDatabase(emailSecret, shards = localShards()) {
  const shardOf = (userId) => shards[evenShardOf(bucketOf(userId), shards.length)];
  const scripts = new Map([DIRECTORY, ...shards].map((binding) => [binding, []]));
  const add = (binding, statement) => scripts.get(binding).push(statement);
  for (const user of users) {
    add(shardOf(user.id), insertOrIgnore("users", user));
    const claimedAt = user.created_at;
    add(
      DIRECTORY,
      insertOrIgnore("usernames", { username: user.username, user_id: user.id, claimed_at: claimedAt }),
    );
    if (user.email) {
      const hash = await emailHash(emailSecret, user.email);
      add(DIRECTORY, insertOrIgnore("emails", { email_hash: hash, user_id: user.id, claimed_at: claimedAt }));
    }
  }
  for (const edge of follows) {
    for (const binding of new Set([shardOf(edge.follower_id), shardOf(edge.followee_id)])) {
      add(binding, insertOrIgnore("follows", edge));
    }
  }
  for (const stream of liveStreams) add(shardOf(stream.user_id), insertOrIgnore("live_streams", stream));
  return scripts;
}

export async function seed() {
  info(
    `Loading demo data: ${users.length} users, ${follows.length} follows, ${liveStreams.length} live streams, over ${localShards().length} shards and the directory`,
  );
  const secret = readDevVars().EMAIL_HASH_SECRET;
  if (!secret) throw new Error("EMAIL_HASH_SECRET is missing from .dev.vars");
  for (const [binding, statements] of await demoSqlByDatabase(secret)) {
    if (statements.length === 0) continue;
    await executeLocalFile(`${statements.join("\n")}\n`, binding);
    info(`  ${binding}: ${statements.length} rows (rows already present were kept)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  seed().catch((error) => {
    info(`db:seed failed: ${error.message}`);
    info("Are the local migrations applied? Run `npm run db:migrate:local` (or `npm run dev`) first.");
    process.exitCode = 1;
  });
}
