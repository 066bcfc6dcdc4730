// `npm run bench:shards`: what the shards buy, in one run. The Worker is built by `wrangler deploy
// --dry-run` with scripts/bench-shards-worker.mjs as the entry (the app behind USERS_0 … USERS_3,
// each wrapped as a single writer: one write at a time per database, SHARDS_WRITE_MS more each) and
// runs in workerd through Miniflare with local D1. Measured:
// 1. write throughput: PUT /api/v1/users/profile (no email change: one UPDATE on the user's shard)
//    for SHARDS_USERS users spread by the app's own bucket function, SHARDS_CONNECTIONS at once,
//    with the app seeing 1, 2 and 4 shards;
// 2. rows read by the stats read of a user with SHARDS_FOLLOWERS followers, and rows written by a
//    follow edge's INSERT (with the real triggers), against their floors, from D1's `meta`;
// 3. bytes per user and per follow edge (dbstat, in Node's SQLite built from migrations/), and what
//    they mean for users per 10 GB shard and shards for 10 and 100 million users.
// Prints tables; writes bench/shards-results.json. Throughput compares only within one run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { auth } from "./bench-endpoints.mjs";
import { build, migratedSqlite, OUT, ROOT, startBuiltWorker } from "./bench-worker.mjs";
import { info } from "./lib.mjs";

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const SECONDS = env("SHARDS_SECONDS", 4);
const ROUNDS = env("SHARDS_ROUNDS", 3);
const CONNECTIONS = env("SHARDS_CONNECTIONS", 32);
const USERS = env("SHARDS_USERS", 4000);
// The single writer's cost of a write, in ms: 0 shows this machine's own ceiling (no single writer),
// 4 a simple write on D1, 100 one slow enough that this machine's two cores, shared with other
// work, are not the limit at 4 shards (40 writes a second).
const WRITE_MS = (process.env.SHARDS_WRITE_MS ?? "0,4,100").split(",").map(Number);
const FOLLOWERS = env("SHARDS_FOLLOWERS", 100_000);
const SHARD_COUNTS = [1, 2, 4];
const GOAL = 3.5;
const D1_BYTES = 10e9; // D1's size limit, 10 GB
const round = (value, digits = 0) => Number(value.toFixed(digits));
const hexId = (prefix, n) => `${prefix}${n.toString(16).padStart(24 - prefix.length, "0")}`;

// --- the Worker --------------------------------------------------------------------------------------
async function start() {
  build("shards", "scripts/bench-shards-worker.mjs");
  // wrangler.toml's shards and the directory, and more shards up to four.
  const d1Databases = { USERS_2: "bench-shard-2", USERS_3: "bench-shard-3" };
  return startBuiltWorker(
    join(OUT, "shards/bench-shards-worker.js"),
    { handleStructuredLogs: () => {} },
    {},
    { d1Databases },
  );
}

/** A bench call; a failed one throws, unless `refusal` asks for D1's error as `{ error }`. */
async function call(app, path, { method = "POST", body, refusal = false } = {}) {
  const response = await fetch(`${app.url}/__bench/${path}`, { method, body: body && JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok && !(refusal && json.error)) {
    throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  }
  return json;
}

// --- 1. write throughput -------------------------------------------------------------------------------
const PROFILE = JSON.stringify({
  name: "Bench",
  surname: "Writer",
  bio: "Writes a lot",
  interests: ["music"],
});

async function writeLoad(app, users, seconds) {
  let index = 0;
  const result = await autocannon({
    url: app.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          method: "PUT",
          path: "/api/v1/users/profile",
          headers: { ...auth(users[index++ % users.length]), "content-type": "application/json" },
          body: PROFILE,
        }),
      },
    ],
  });
  return {
    writesPerSecond: round(result.requests.total / seconds, 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    sent: result.requests.sent,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** Waits until the writes still queued when a load stopped are done, so the next load starts empty. */
async function settle(app) {
  while ((await call(app, "in-flight", { method: "GET" })).writes > 0) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One load of `shards` shards at `writeMs` a write. */
async function measureLoad(app, shards, writeMs, users) {
  await call(app, `config?shards=${shards}&writeMs=${writeMs}`);
  await writeLoad(app, users, 1); // warm-up: JIT, the connections, the queue filled
  await settle(app);
  await call(app, "rows", { method: "GET" });
  const load = await writeLoad(app, users, SECONDS);
  await settle(app);
  const d1 = await call(app, "rows", { method: "GET" });
  return { ...load, d1WritesPerRequest: round(d1.writes / load.sent, 2) };
}

/**
 * Every write cost with 1, 2 and 4 shards, ROUNDS times, interleaved so that a busy moment of the
 * shared machine falls on all of them alike; each figure is the median of its rounds.
 */
async function throughput(app) {
  const users = new Map();
  const usersPerShard = new Map();
  for (const shards of SHARD_COUNTS) {
    await call(app, `config?shards=${shards}`);
    const prefix = `f${shards}`;
    usersPerShard.set(shards, await call(app, `users?prefix=${prefix}&from=0&count=${USERS}`));
    users.set(
      shards,
      Array.from({ length: USERS }, (_, n) => hexId(prefix, n)),
    );
  }
  const loads = new Map();
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const writeMs of WRITE_MS) {
      for (const shards of SHARD_COUNTS) {
        const key = `${writeMs}/${shards}`;
        const load = await measureLoad(app, shards, writeMs, users.get(shards));
        loads.set(key, [...(loads.get(key) ?? []), load]);
        info(`round ${round}, ${writeMs} ms a write, ${shards} shard(s): ${JSON.stringify(load)}`);
      }
    }
  }
  return WRITE_MS.map((writeMs) => {
    const runs = SHARD_COUNTS.map((shards) => {
      const all = loads.get(`${writeMs}/${shards}`);
      const pick = (name) => median(all.map((load) => load[name]));
      return {
        shards,
        usersPerShard: usersPerShard.get(shards),
        writesPerSecond: pick("writesPerSecond"),
        rounds: all.map((load) => load.writesPerSecond),
        p50: pick("p50"),
        p99: pick("p99"),
        d1WritesPerRequest: pick("d1WritesPerRequest"),
        failed: all.reduce((sum, load) => sum + load.failed, 0),
      };
    });
    const one = runs[0].writesPerSecond;
    return {
      writeMs,
      runs: runs.map((run) => ({ ...run, ratioToOneShard: round(run.writesPerSecond / one, 2) })),
    };
  });
}

// --- 2. rows read and written against their floors ---------------------------------------------------------
const SEED_FOLLOWERS = `WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ? - 1)`;

async function edgeRows(app) {
  await call(app, "config?shards=4&writeMs=0");
  // The star and its followers on the star's shard, as the followee side of each edge is stored.
  const star = hexId("5a", 1);
  await call(app, "users?prefix=5a&from=1&count=1");
  const onStarShard = (sql, params) => call(app, `sql?user=${star}`, { body: { sql, params } });
  const now = Date.now();
  await onStarShard(
    `${SEED_FOLLOWERS} INSERT INTO users (id, created_at, updated_at) SELECT 'fb' || printf('%022x', n), ?, ? FROM seq`,
    [FOLLOWERS, now, now],
  );
  await onStarShard(
    `${SEED_FOLLOWERS} INSERT INTO follows (follower_id, followee_id, created_at) SELECT 'fb' || printf('%022x', n), ?, ? FROM seq`,
    [FOLLOWERS, star, now],
  );
  await call(app, "rows", { method: "GET" });
  const response = await fetch(`${app.url}/api/v1/users/me/stats`, { headers: auth(star) });
  const stats = await response.json();
  const statsRows = await call(app, "rows", { method: "GET" });

  // A follow edge between two users of one shard: the edge and both counters in one database.
  const { shard } = await call(app, `shard?user=${hexId("f4", 0)}`, { method: "GET" });
  const sameShard = [];
  const otherShard = [];
  for (let n = 1; sameShard.length < 1 || otherShard.length < 1; n += 1) {
    const user = hexId("f4", n);
    const other = (await call(app, `shard?user=${user}`, { method: "GET" })).shard;
    (other === shard ? sameShard : otherShard).push(user);
  }
  const follower = hexId("f4", 0);
  const insertEdge = (followee, on) =>
    call(app, `sql?user=${on}`, {
      refusal: true,
      body: {
        sql: "INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)",
        params: [follower, followee, Date.now()],
      },
    });
  const counters = (user) =>
    call(app, `sql?user=${user}`, {
      body: {
        sql: "SELECT followers_count, following_count FROM user_counters WHERE user_id = ?",
        params: [user],
      },
    });
  const before = [await counters(follower), await counters(sameShard[0])];
  const edge = await insertEdge(sameShard[0], follower);
  const after = [await counters(follower), await counters(sameShard[0])];
  const countersMoved =
    after[0].results[0].following_count - before[0].results[0].following_count === 1 &&
    after[1].results[0].followers_count - before[1].results[0].followers_count === 1;
  // The follower's half of an edge to a user on another shard, stored on the follower's shard.
  const remoteHalf = await insertEdge(otherShard[0], follower);
  return {
    stats: {
      followers: stats.data?.followersCount ?? stats.followersCount ?? stats,
      status: response.status,
      rowsRead: statsRows.read,
      d1Calls: statsRows.calls,
      statements: statsRows.last,
      floor: 1,
      ratio: round(statsRows.read / 1, 2),
    },
    // Floor: the edge in the table and in its one index (follows_followee_idx), and the two counters.
    edgeInsert: {
      rowsWritten: edge.written,
      rowsRead: edge.read,
      floor: 4,
      ratio: round(edge.written / 4, 2),
      countersMoved,
    },
    remoteHalf: remoteHalf.error ? { error: remoteHalf.error } : { rowsWritten: remoteHalf.written },
  };
}

// --- 3. bytes per user and per edge, and capacity ------------------------------------------------------------
const OF_TABLES = (tables) =>
  `SELECT sum(pgsize) AS bytes FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name IN (${tables}))`;

/** A database from migrations/ in Node's SQLite, with users (a filled-in profile each) and edges. */
async function bytesPerRow(users = 100_000, edges = 300_000) {
  const db = await migratedSqlite(join(ROOT, "migrations"));
  // Random ids in random order, as sign-ups and follows arrive: B-tree pages split and fill partly.
  const ids = Array.from({ length: users }, () => crypto.getRandomValues(Buffer.alloc(12)).toString("hex"));
  const insertUser = db.prepare(`INSERT INTO users (id, username, name, surname, email, bio, interests,
    country_code, phone_number, gender, birth_date, privacy_policy_accepted, privacy_policy_version,
    terms_of_use_accepted, terms_of_use_version, consent_form_accepted, consent_form_version,
    is_registration_complete, profile_photo_id, profile_photo_key, instagram, last_login, created_at, updated_at)
    VALUES (?, ?, 'Ayşe', 'Yılmaz', ?, 'Live every evening: music and chat', '["music","travel"]', '90',
    '5551234567', 'female', 631152000000, 1, '2024-01', 1, '2024-01', 1, '2024-01', 1, ?, ?, 'ayse', ?, ?, ?)`);
  const insertEdge = db.prepare(
    "INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)",
  );
  const now = Date.now();
  db.exec("BEGIN");
  ids.forEach((id, n) => {
    const photo = crypto.randomUUID();
    insertUser.run(
      id,
      `user_${n}`,
      `user${n}@example.com`,
      photo,
      `profile-photos/${id}/${photo}.webp`,
      now,
      now,
      now,
    );
  });
  for (let n = 0; n < edges; n += 1) {
    const follower = ids[Math.floor(Math.random() * users)];
    const followee = ids[Math.floor(Math.random() * users)];
    if (follower !== followee) insertEdge.run(follower, followee, now + n);
  }
  db.exec("COMMIT");
  const edgeCount = db.prepare("SELECT count(*) AS n FROM follows").get().n;
  return {
    user: round(db.prepare(OF_TABLES("'users', 'user_counters'")).get().bytes / users, 1),
    edge: round(db.prepare(OF_TABLES("'follows'")).get().bytes / edgeCount, 1),
    users,
    edges: edgeCount,
  };
}

/**
 * Users per 10 GB database at `follows` follows a user. One database holds each edge once; in the
 * sharded layout an edge between users of two shards is stored on both (the follower's `following`
 * and the followee's `followers`), which is nearly every edge once there are several shards, so a
 * user's shard holds about 2 × follows edges for each user.
 */
function capacity(bytes) {
  return [10, 100].map((follows) => {
    const oneDatabase = Math.floor(D1_BYTES / (bytes.user + follows * bytes.edge));
    const perShard = Math.floor(D1_BYTES / (bytes.user + 2 * follows * bytes.edge));
    const shardsFor = (users, fill = 1) => Math.ceil(users / (perShard * fill));
    return {
      follows,
      bytesPerUserSharded: round(bytes.user + 2 * follows * bytes.edge),
      usersInOneDatabase: oneDatabase,
      usersPerShard: perShard,
      shardsFor10M: shardsFor(10e6),
      shardsFor100M: shardsFor(100e6),
      shardsFor10MAt70Percent: shardsFor(10e6, 0.7),
      shardsFor100MAt70Percent: shardsFor(100e6, 0.7),
    };
  });
}

// --- report -----------------------------------------------------------------------------------------------------
const line = (cells) => `| ${cells.join(" | ")} |`;
const n = (value) => value.toLocaleString("en");

function print(results) {
  const { throughput: costs, rows, bytes, capacity: cap } = results;
  console.log(
    `PUT /api/v1/users/profile (one UPDATE on the user's shard), ${n(USERS)} users, ${CONNECTIONS} connections, ${SECONDS} s a load, median of ${ROUNDS} rounds; single writer: one write at a time per database, the cost below each`,
  );
  console.log();
  console.log(
    line([
      "ms a write",
      "shards",
      "users per shard",
      "writes/s",
      "ratio to 1 shard",
      "p50 ms",
      "p99 ms",
      "D1 writes/req",
      "failed",
    ]),
  );
  console.log(line(Array(9).fill("---")));
  for (const { writeMs, runs } of costs) {
    for (const r of runs) {
      console.log(
        line([
          writeMs === 0 ? "0 (no single writer)" : writeMs,
          r.shards,
          r.usersPerShard.join(" / "),
          r.writesPerSecond,
          r.ratioToOneShard.toFixed(2),
          r.p50,
          r.p99,
          r.d1WritesPerRequest,
          r.failed,
        ]),
      );
    }
  }
  for (const { writeMs, runs } of costs.filter((cost) => cost.writeMs > 0)) {
    const four = runs.find((r) => r.shards === 4).ratioToOneShard;
    console.log(
      `${writeMs} ms a write: 4 shards / 1 = ${four.toFixed(2)} (goal ≥ ${GOAL}: ${four >= GOAL ? "met" : "missed"})`,
    );
  }
  console.log();
  console.log(line(["D1 rows", "measured", "floor", "ratio (≤ 1.2)"]));
  console.log(line(["---", "---", "---", "---"]));
  const verdict = (ratio) => `${ratio.toFixed(2)} ${ratio <= 1.2 ? "met" : "missed"}`;
  console.log(
    line([
      `GET /users/me/stats, ${n(FOLLOWERS)} followers: rows read (${rows.stats.d1Calls} D1 call)`,
      rows.stats.rowsRead,
      rows.stats.floor,
      verdict(rows.stats.ratio),
    ]),
  );
  console.log(
    line([
      "INSERT INTO follows, both users on one shard (no follow endpoint): rows written",
      rows.edgeInsert.rowsWritten,
      `${rows.edgeInsert.floor} (edge + its index entry + 2 counters)`,
      verdict(rows.edgeInsert.ratio),
    ]),
  );
  console.log(
    `the follower's half of an edge to a user on another shard: ${rows.remoteHalf.error ?? `${rows.remoteHalf.rowsWritten} rows written`}`,
  );
  console.log();
  console.log(
    `bytes (dbstat, ${n(bytes.users)} users, ${n(bytes.edges)} edges, random order): ${bytes.user} a user (users + user_counters + indexes), ${bytes.edge} a follow edge (table + index)`,
  );
  console.log(
    line([
      "follows a user",
      "bytes a user, sharded (edges twice)",
      "users in one 10 GB database (edges once)",
      "users per 10 GB shard",
      "shards for 10M users (70 % full)",
      "shards for 100M users (70 % full)",
    ]),
  );
  console.log(line(Array(6).fill("---")));
  for (const c of cap) {
    console.log(
      line([
        c.follows,
        n(c.bytesPerUserSharded),
        n(c.usersInOneDatabase),
        n(c.usersPerShard),
        `${c.shardsFor10M} (${c.shardsFor10MAt70Percent})`,
        `${c.shardsFor100M} (${c.shardsFor100MAt70Percent})`,
      ]),
    );
  }
}

// --- main ---------------------------------------------------------------------------------------------------------
const startedAt = performance.now();
info("building and starting");
const app = await start();
let results;
try {
  info("write throughput");
  const runs = await throughput(app);
  info("rows read and written");
  const rows = await edgeRows(app);
  info("bytes per row");
  const bytes = await bytesPerRow();
  results = {
    measuredAt: new Date().toISOString(),
    settings: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      users: USERS,
      writeMs: WRITE_MS,
      followers: FOLLOWERS,
    },
    throughput: runs,
    rows,
    bytes,
    capacity: capacity(bytes),
    seconds: round((performance.now() - startedAt) / 1000, 1),
  };
} finally {
  await app.mf.dispose();
}
writeFileSync(join(ROOT, "bench/shards-results.json"), `${JSON.stringify(results, null, 2)}\n`);
print(results);
