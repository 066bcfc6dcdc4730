// `npm run dev:user -- <username> [--admin]`: makes sure a local user with that username exists
// (creating a complete registration when absent; --admin adds the admin role), then prints one
// JSON line {"id","username","token"} with a 24-hour HS256 token signed with .dev.vars'
// JWT_SECRET. Only that line goes to stdout. Works while `npm run dev` is running: it opens the
// local D1 database file itself (SQLite, as `npm run dev` and `wrangler d1 execute --local` use
// it) instead of starting a second wrangler, so it answers in well under a second.
import { sign } from "hono/jwt";
import { newObjectId } from "../src/lib/ids.ts";
import { USERNAME_PATTERN } from "../src/users/username-rule.ts";
import { info, readDevVars, sqlValue } from "./lib.mjs";
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

/** Creates the user when the name is free, grants admin if asked, and reads the row back. */
function ensureUser(username, admin) {
  const now = Date.now();
  const roles = admin ? ["user", "admin"] : ["user"];
  const row = {
    id: newObjectId(now),
    username,
    name: username,
    surname: "Dev",
    email: `${username}@dev.example.com`,
    privacy_policy_accepted: true,
    privacy_policy_version: "1.2.0",
    terms_of_use_accepted: true,
    terms_of_use_version: "1.1.0",
    consent_form_accepted: true,
    consent_form_version: "1.0.0",
    is_registration_complete: true,
    roles,
    created_at: now,
    updated_at: now,
  };
  const columns = Object.keys(row);
  const name = sqlValue(username);
  const statements = [
    // Insert only when the name is free; a unique index still guards a race with another writer.
    `INSERT INTO users (${columns.join(", ")}) SELECT ${columns.map((column) => sqlValue(row[column])).join(", ")} WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = ${name})`,
  ];
  if (admin)
    statements.push(
      `UPDATE users SET roles = json_insert(roles, '$[#]', 'admin'), updated_at = ${now} WHERE username = ${name} AND NOT EXISTS (SELECT 1 FROM json_each(users.roles) WHERE value = 'admin')`,
    );
  const database = openLocalDatabase();
  try {
    database.exec(`BEGIN IMMEDIATE; ${statements.join("; ")}; COMMIT`);
    const user = database
      .prepare("SELECT id, username, roles, account_deletion_status FROM users WHERE username = ?")
      .get(username);
    if (!user) throw new Error(`user ${username} was not found after the insert`);
    return { user, created: user.id === row.id };
  } finally {
    database.close();
  }
}

async function main() {
  const { username, admin } = parseArgs(process.argv.slice(2));
  const secret = readDevVars().JWT_SECRET;
  if (!secret) throw new Error("JWT_SECRET is missing from .dev.vars");

  const { user, created } = ensureUser(username, admin);
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
