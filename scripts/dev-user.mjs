// `npm run dev:user -- <username> [--admin]`: makes sure a local user with that username exists
// (creating a complete registration when absent; --admin adds the admin role), then prints one
// JSON line {"id","username","token"} with a 24-hour HS256 token signed with .dev.vars'
// JWT_SECRET. Only that line goes to stdout. Works while `npm run dev` is running: it opens the
// local D1 database file itself (SQLite, as `npm run dev` and `wrangler d1 execute --local` use
// it) instead of starting a second wrangler, so it answers in well under a second.
import { sign } from "hono/jwt";
import { bucketOf, evenShardOf } from "../src/lib/buckets.ts";
import { newObjectId } from "../src/lib/ids.ts";
import { emailHash } from "../src/users/email-hash.ts";
import { USERNAME_PATTERN } from "../src/users/username-rule.ts";
import { DIRECTORY, info, insertOrIgnore, localShards, readDevVars, sqlValue } from "./lib.mjs";
import { openLocalDatabase } from "./local-db.mjs";

const TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

function usage(message) {
  info(message);
  info("usage: npm run dev:user -- <username> [--admin]");
  process.exit(2);
}

function parseArgs(argv) {
  let admin = false;
  const names = [];
  for (const arg of argv) {
    if (arg === "--admin") admin = true;
    else if (arg.startsWith("-")) usage(`unknown option: ${arg}`);
    else names.push(arg);
  }
  if (names.length !== 1) usage("give exactly one username");
  // Usernames are compared and stored lowercased.
  const username = names[0].toLowerCase();
  if (!USERNAME_PATTERN.test(username))
    usage(
      `invalid username "${names[0]}": 3 to 30 of a-z 0-9 . _, starting with a letter or digit, ` +
        'no "..", not ending in "."',
    );
  return { username, admin };
}

/**
 * Creates the user when the name is free, grants admin if asked, and reads the row back. The
 * directory decides, as for the Worker: the name (and the email's hash) is claimed there first,
 * then the row goes to the shard its id hashes to.
 */
async function ensureUser(username, admin, emailSecret) {
  const now = Date.now();
  const id = newObjectId(now);
  const email = `${username}@dev.example.com`;
  const directory = openLocalDatabase(DIRECTORY);
  let owner;
  try {
    directory
      .prepare(
        "INSERT INTO usernames (username, user_id, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(username, id, now);
    owner = directory.prepare("SELECT user_id FROM usernames WHERE username = ?").get(username).user_id;
    if (owner === id) {
      directory
        .prepare(
          "INSERT INTO emails (email_hash, user_id, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .run(await emailHash(emailSecret, email), id, now);
    }
  } finally {
    directory.close();
  }
  const row = {
    id,
    username,
    name: username,
    surname: "Dev",
    email,
    privacy_policy_accepted: true,
    privacy_policy_version: "1.2.0",
    terms_of_use_accepted: true,
    terms_of_use_version: "1.1.0",
    consent_form_accepted: true,
    consent_form_version: "1.0.0",
    is_registration_complete: true,
    roles: admin ? ["user", "admin"] : ["user"],
    created_at: now,
    updated_at: now,
  };
  const statements = [];
  if (owner === id) statements.push(insertOrIgnore("users", row));
  if (admin)
    statements.push(
      `UPDATE users SET roles = json_insert(roles, '$[#]', 'admin'), updated_at = ${now} WHERE id = ${sqlValue(owner)} AND NOT EXISTS (SELECT 1 FROM json_each(users.roles) WHERE value = 'admin')`,
    );
  const shards = localShards();
  const shard = openLocalDatabase(shards[evenShardOf(bucketOf(owner), shards.length)]);
  try {
    if (statements.length > 0) shard.exec(`BEGIN IMMEDIATE; ${statements.join("; ")}; COMMIT`);
    const user = shard
      .prepare("SELECT id, username, roles, account_deletion_status FROM users WHERE id = ?")
      .get(owner);
    if (!user) throw new Error(`user ${username} (${owner}) is in the directory but not on its shard`);
    return { user, created: owner === id };
  } finally {
    shard.close();
  }
}

async function main() {
  const { username, admin } = parseArgs(process.argv.slice(2));
  const { JWT_SECRET: secret, EMAIL_HASH_SECRET: emailSecret } = readDevVars();
  if (!secret) throw new Error("JWT_SECRET is missing from .dev.vars");
  if (!emailSecret) throw new Error("EMAIL_HASH_SECRET is missing from .dev.vars");

  const { user, created } = await ensureUser(username, admin, emailSecret);
  info(
    `${created ? "Created" : "Found"} local user ${user.username} (${user.id}), roles ${user.roles}` +
      (user.account_deletion_status ? `, account deletion ${user.account_deletion_status}` : ""),
  );

  const iat = Math.floor(Date.now() / 1000);
  const token = await sign({ sub: user.id, iat, exp: iat + TOKEN_LIFETIME_SECONDS }, secret, "HS256");
  process.stdout.write(`${JSON.stringify({ id: user.id, username: user.username, token })}\n`);
}

main().catch((error) => {
  info(`dev:user failed: ${error.message}`);
  if (/no such table|no local D1 database/.test(error.message))
    info("The local database has no tables yet: run `npm run dev` (or `npm run db:migrate:local`) first.");
  process.exitCode = 1;
});
