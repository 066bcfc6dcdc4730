// `npm run bench`: measures the built Worker in workerd itself (Miniflare's API, never through
// `wrangler dev`, whose proxy is several times slower), with local D1/R2/KV, against a floor Worker
// that does one raw D1 query with no framework, in the same run. Prints a table and writes
// bench/results.json. Re-run on a quiet machine: the figures are only comparable within one run.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { sign } from "hono/jwt";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { migrate, OUT, ROOT, SECRET, startBuiltWorker, wrangler } from "./bench-worker.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;

// --- build and startup -------------------------------------------------------------------------
function build() {
  const output = wrangler(["deploy", "--dry-run", "--outdir", join(OUT, "worker")]);
  const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  return { minifiedKiB: Number(match?.[1]), gzipKiB: Number(match?.[2]) };
}

function startupActiveMs() {
  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    const output = wrangler(["check", "startup", "--outfile", join(OUT, "startup.cpuprofile")]);
    runs.push(Number(/Active: ([\d.]+) ms/.exec(output)?.[1]));
  }
  runs.sort((a, b) => a - b);
  return { medianMs: runs[2], minMs: runs[0], runs };
}

// --- workers -------------------------------------------------------------------------------------
const FLOOR_SCRIPT = `export default {
  async fetch(request, env) {
    const id = new URL(request.url).searchParams.get("id");
    const row = await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first();
    return Response.json(row);
  },
};`;

const cronLines = [];
function captureLog({ message }) {
  if (message.includes('"account deletion cron"')) cronLines.push(message);
}

async function startFloor() {
  const worker = {
    name: "floor",
    modules: true,
    script: FLOOR_SCRIPT,
    compatibilityDate: "2026-11-01",
    d1Databases: { DB: "floor-db" },
  };
  return new Miniflare(convertV4MiniflareOptions({ workers: [worker] }));
}

// --- data ----------------------------------------------------------------------------------------
const hexId = (prefix, n) => `${prefix}${n.toString(16).padStart(24 - prefix.length, "0")}`;
const READER = hexId("aa", 1);
const CROWD_STAR = hexId("bb", 1);
const WRITER = hexId("cc", 1);
const UPLOADER = hexId("dd", 1);

async function seed(db) {
  const now = Date.now();
  const insertUser = (id, username) =>
    db
      .prepare(
        `INSERT INTO users (id, username, name, surname, email, is_registration_complete, created_at, updated_at)
         VALUES (?, ?, 'Bench', 'User', ?, 1, ?, ?)`,
      )
      .bind(id, username, `${username}@example.com`, now, now);
  await db.batch([
    insertUser(READER, "reader"),
    insertUser(CROWD_STAR, "crowdstar"),
    insertUser(WRITER, "writer"),
    insertUser(UPLOADER, "uploader"),
  ]);
  // Followers generated in SQL: 10 for the reader, 100,000 for the crowd star.
  const followers = async (followee, prefix, count) => {
    await db
      .prepare(
        `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
         INSERT INTO users (id, created_at, updated_at) SELECT ? || printf('%0' || ? || 'x', n), ?, ? FROM seq`,
      )
      .bind(count, prefix, 24 - prefix.length, now, now)
      .run();
    await db
      .prepare(
        `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
         INSERT INTO follows (follower_id, followee_id, created_at)
         SELECT ? || printf('%0' || ? || 'x', n), ?, ? FROM seq`,
      )
      .bind(count, prefix, 24 - prefix.length, followee, now)
      .run();
  };
  await followers(READER, "a1", 10);
  await followers(CROWD_STAR, "b1", 100_000);
}

// The query readStats() builds with Drizzle (test/counters.test.ts asserts the real one).
const STATS_SQL =
  'select "followers_count", "following_count", "live_streams_count" from "user_counters" where "user_counters"."user_id" = ? limit ?';

async function rowsRead(db, userId) {
  const result = await db.prepare(STATS_SQL).bind(userId, 1).all();
  return { rowsRead: result.meta.rows_read, followers: result.results[0]?.followers_count };
}

// --- load ----------------------------------------------------------------------------------------
async function load(name, options) {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failed,
  };
}

async function photoBody() {
  const bytes = readFileSync(join(ROOT, "test/fixtures/photo-gps.jpg"));
  const form = new FormData();
  form.append("file", new File([bytes], "photo.jpg", { type: "image/jpeg" }));
  const request = new Request("http://bench/", { method: "PATCH", body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get("content-type") };
}

async function cron(mf, db) {
  const now = Date.now();
  await db
    .prepare(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10000)
       INSERT INTO users (id, username, email, name, created_at, updated_at, account_deletion_status,
         account_deletion_requested_at, account_deletion_scheduled_for)
       SELECT 'ee' || printf('%022x', n), 'due' || n, 'due' || n || '@example.com', 'Due', ?, ?, 'pending', ?, ?
       FROM seq`,
    )
    .bind(now, now, now - 1000, now - 1000)
    .run();
  const worker = await mf.getWorker();
  const startedAt = performance.now();
  let runs = 0;
  for (; runs < 50; runs += 1) {
    const before = cronLines.length;
    await worker.scheduled({ cron: "*/15 * * * *", scheduledTime: new Date() });
    while (cronLines.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    if (JSON.parse(cronLines.at(-1).slice(cronLines.at(-1).indexOf("{"))).found === 0) break;
  }
  const wallMs = Math.round(performance.now() - startedAt);
  const summaries = cronLines.map((line) => JSON.parse(line.slice(line.indexOf("{"))));
  // D1 calls per run, from the code path: the due count, one batch per finalize batch, one outbox
  // page read (plus a batch per page drained), and the outbox size.
  const d1Calls = summaries.reduce(
    (sum, s) => sum + 2 + s.batches + 1 + (s.mediaDeleted + s.mediaFailed > 0 ? 1 : 0),
    0,
  );
  const finalized = summaries.reduce((sum, s) => sum + s.finalized, 0);
  return { accounts: 10_000, finalized, runs: summaries.length, d1Calls, wallMs };
}

// --- main ----------------------------------------------------------------------------------------
mkdirSync(OUT, { recursive: true });
console.error("building…");
const bundle = build();
console.error("profiling startup…");
const startup = startupActiveMs();

const {
  mf: api,
  url: apiUrl,
  db: apiDb,
} = await startBuiltWorker(join(OUT, "worker/index.js"), {
  handleStructuredLogs: captureLog,
});
const floor = await startFloor();
const floorUrl = (await floor.ready).toString().replace(/\/$/, "");
const floorDb = (await floor.getBindings()).DB;
console.error("seeding…");
await migrate(floorDb);
await seed(apiDb);
await seed(floorDb);

const token = (sub) => sign({ sub, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET, "HS256");
const auth = async (sub) => ({ authorization: `Bearer ${await token(sub)}` });
const photo = await photoBody();

console.error("loading…");
const floorRead = await load("floor: one raw D1 read", { url: `${floorUrl}/?id=${READER}` });
const me = await load("GET /users/me", { url: `${apiUrl}/api/v1/users/me`, headers: await auth(READER) });
const stats = await load("GET /users/me/stats", {
  url: `${apiUrl}/api/v1/users/me/stats`,
  headers: await auth(CROWD_STAR),
});
const put = await load("PUT /users/profile", {
  url: `${apiUrl}/api/v1/users/profile`,
  method: "PUT",
  headers: { ...(await auth(WRITER)), "content-type": "application/json" },
  body: JSON.stringify({ name: "Bench", surname: "Writer", bio: "Writes a lot", interests: ["music"] }),
});
const upload = await load("PATCH /users/profile/photo", {
  url: `${apiUrl}/api/v1/users/profile/photo`,
  method: "PATCH",
  headers: { ...(await auth(UPLOADER)), "content-type": photo.contentType },
  body: photo.body,
});
const rows = { at10: await rowsRead(apiDb, READER), at100k: await rowsRead(apiDb, CROWD_STAR) };
console.error("cron…");
const cronResult = await cron(api, apiDb);
await api.dispose();
await floor.dispose();

const ratio = (result) => Number((result.rps / floorRead.rps).toFixed(2));
const results = {
  measuredAt: new Date().toISOString(),
  settings: { seconds: SECONDS, connections: CONNECTIONS },
  floor: floorRead,
  routes: [
    { ...me, ratioToFloor: ratio(me), goal: 0.8 },
    { ...stats, ratioToFloor: ratio(stats), goal: 0.8 },
    { ...put, ratioToFloor: ratio(put), goal: 0.6 },
    { ...upload, ratioToFloor: ratio(upload), goal: 0.6 },
  ],
  statsRowsRead: rows,
  bundle,
  startup,
  cron: cronResult,
};
mkdirSync(join(ROOT, "bench"), { recursive: true });
writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);

const line = (cells) => `| ${cells.join(" | ")} |`;
console.log(line(["route", "req/s", "p50 ms", "p99 ms", "ratio to floor (goal)", "failed"]));
console.log(line(["---", "---", "---", "---", "---", "---"]));
console.log(line([floorRead.name, floorRead.rps, floorRead.p50, floorRead.p99, "1.00", floorRead.failed]));
for (const r of results.routes)
  console.log(line([r.name, r.rps, r.p50, r.p99, `${r.ratioToFloor} (${r.goal})`, r.failed]));
console.log();
console.log(
  `stats rows read: ${rows.at10.rowsRead} at ${rows.at10.followers} followers, ${rows.at100k.rowsRead} at ${rows.at100k.followers} followers (goal: equal, 1 or 2)`,
);
console.log(
  `bundle: ${bundle.minifiedKiB} KiB minified, ${bundle.gzipKiB} KiB gzip (goal: at most 120 KiB gzip)`,
);
console.log(
  `startup: ${startup.medianMs} ms Active, median of ${startup.runs.join(", ")} (goal: at most 30 ms)`,
);
console.log(
  `cron: ${cronResult.finalized} of ${cronResult.accounts} accounts in ${cronResult.runs} runs, ${cronResult.d1Calls} D1 calls, ${cronResult.wallMs} ms`,
);
