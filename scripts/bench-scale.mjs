// `npm run bench:scale`: clean-up at scale, this tree against the code before the queued, chunked
// clean-up (d5f8ef3, extracted to /tmp/bench-old; SCALE_OLD=0 leaves it out), in one run. Each is built by `wrangler deploy --dry-run` with
// scripts/bench-scale-worker.mjs as the entry (the app behind bindings that count D1 rows from
// `meta`, note R2 bodies and hold queue messages) and run in workerd through Miniflare, with local
// D1 and R2. Measured for each: one account with SCALE_FOLLOWERS followers finalized (chunks, rows
// written per batch, the longest batch, the longest wait of a concurrent UPDATE); the cron with
// SCALE_DUE due among SCALE_PENDING pending (rows read per finalized account), then cron runs and
// queue deliveries until R2 holds nothing of theirs; data-export memory; bytes per follow edge.
// Writes bench/scale-results.json and prints a table. Figures compare only within one run. With the
// defaults (1,000,000 followers, 2,000 due among 100,000 pending) it takes about 7 minutes on a busy
// 2-core machine; SCALE_DUE=10000 about 15.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { sign } from "hono/jwt";
import { migratedSqlite, ROOT, SECRET, workerdPid } from "./bench-worker.mjs";
import { info } from "./lib.mjs";

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const FOLLOWERS = env("SCALE_FOLLOWERS", 1_000_000);
const PENDING = env("SCALE_PENDING", 100_000);
// 10,000 due take about 25 minutes on a busy 2-core machine (each is one queued job): 2,000 by default.
const DUE = env("SCALE_DUE", 2_000);
const EXPORTS = [10_000, 100_000, FOLLOWERS].filter(
  (size, i, all) => size <= FOLLOWERS && all.indexOf(size) === i,
);
// The old build holds the whole archive (and every row object) at once: at 1M followers that is
// gigabytes of workerd memory, so by default its largest export is extrapolated from 100k.
const OLD_EXPORT_MAX = env("SCALE_OLD_EXPORT_MAX", 100_000);
const MAX_RUNS = env("SCALE_MAX_RUNS", 120);
const OLD_COMMIT = "d5f8ef3";
const OLD_ROOT = process.env.SCALE_OLD_ROOT ?? "/tmp/bench-old";
const CHUNK_ROWS = "4000";
const DAY = 86_400_000;
const INSPECTOR_PORT = Number(process.env.SCALE_INSPECTOR_PORT ?? 8830);

const id = (n) => n.toString(16).padStart(24, "0");
const CELEBRITY = FOLLOWERS + 1;
const exportAccount = (size) => (size === FOLLOWERS ? CELEBRITY : FOLLOWERS + 1 + EXPORTS.indexOf(size) + 1);
const max = (values) => values.reduce((a, b) => Math.max(a, b), 0);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round = (value, digits = 0) => Number(value.toFixed(digits));
const seconds = (since) => round((performance.now() - since) / 1000, 1);

// --- the two builds --------------------------------------------------------------------------------
/** The old tree, extracted (not a worktree) with this tree's node_modules and bench Worker. */
function prepareOld() {
  if (!existsSync(OLD_ROOT)) {
    mkdirSync(OLD_ROOT, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${OLD_COMMIT} | tar -x -C ${OLD_ROOT}`], { cwd: ROOT });
    symlinkSync(join(ROOT, "node_modules"), join(OLD_ROOT, "node_modules"));
  }
  copyFileSync(
    join(ROOT, "scripts/bench-scale-worker.mjs"),
    join(OLD_ROOT, "scripts/bench-scale-worker.mjs"),
  );
}

/** Builds the bench Worker of the tree at `root` and starts it with that tree's migrations. */
async function start(name, root) {
  const lib = await import(pathToFileURL(join(root, "scripts/bench-worker.mjs")).href);
  const outdir = join(ROOT, "bench/out", `scale-${name}`);
  lib.wrangler(["deploy", "--dry-run", "--outdir", outdir, "scripts/bench-scale-worker.mjs"]);
  const app = await lib.startBuiltWorker(
    join(outdir, "bench-scale-worker.js"),
    { handleStructuredLogs: () => {}, inspectorPort: INSPECTOR_PORT },
    { FINALIZE_CHUNK_ROWS: CHUNK_ROWS, EXPORT_SIGNING_SECRET: SECRET, USERNAME_HOLD_DAYS: "14" },
    {},
    // Every shard bound, every user on the first: the one database the old build had.
    { oneShard: true },
  );
  return { ...app, pid: workerdPid() };
}

const memoryKiB = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

async function call(app, path, { method = "POST", body } = {}) {
  const response = await fetch(`${app.url}/__bench/${path}`, { method, body: body && JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
const d1Calls = (app, meterSelects = false) =>
  call(app, `d1?meterSelects=${meterSelects ? 1 : 0}`, { method: "GET" });

/** Delivers held jobs, batch after batch, until none is left. */
async function drainQueue(app) {
  let deliveries = 0;
  for (;;) {
    const { delivered, left } = await call(app, "deliver?max=10");
    deliveries += delivered > 0 ? 1 : 0;
    if (left === 0) return deliveries;
  }
}

// --- seeding (plain SQL, so the same statements fill D1 and the dbstat copy) --------------------------
const SERIES = "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)";
const SEED_USERS = `INSERT INTO users (id, username, name, surname, email, privacy_policy_accepted, terms_of_use_accepted,
  consent_form_accepted, is_registration_complete, created_at, updated_at)
  ${SERIES} SELECT printf('%024x', i), 'user' || i, 'Name', 'Surname', 'user' || i || '@example.com', 1, 1, 1, 1, ?3, ?3 FROM n`;
const SEED_FOLLOWS = `INSERT INTO follows (follower_id, followee_id, created_at)
  ${SERIES} SELECT printf('%024x', i), ?3, ?4 + i FROM n`;

/** Users 1…FOLLOWERS, the celebrity and the export accounts; each followed by its share of them. */
async function seed(run) {
  const now = Date.now() - 60 * DAY;
  const step = 100_000;
  for (let from = 1; from <= FOLLOWERS; from += step)
    await run(SEED_USERS, [from, Math.min(FOLLOWERS, from + step - 1), now]);
  await run(SEED_USERS, [CELEBRITY, CELEBRITY + EXPORTS.length, now]);
  for (const size of EXPORTS) {
    for (let from = 1; from <= size; from += step) {
      await run(SEED_FOLLOWS, [from, Math.min(size, from + step - 1), id(exportAccount(size)), now]);
    }
  }
  return EXPORTS.reduce((a, b) => a + b, 0);
}

// --- 4. data export ---------------------------------------------------------------------------------
/**
 * Runs `work` while sampling the Worker isolate's V8 heap through workerd's inspector (every
 * 20 ms, whenever the isolate is between tasks): how much the used heap and the heap V8 reserved
 * (committed) grew at most, in bytes. A peak inside one synchronous call (JSON.stringify of a whole
 * archive) is missed by the used size, but the committed size keeps it for a while.
 */
async function heapGrowth(work) {
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const socket = new WebSocket(
    (targets.find((t) => t.title?.includes("api")) ?? targets[0]).webSocketDebuggerUrl,
  );
  await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
  });
  const used = () =>
    new Promise((resolve) => {
      const messageId = pending.size + 1;
      pending.set(messageId, resolve);
      socket.send(JSON.stringify({ id: messageId, method: "Runtime.getHeapUsage" }));
    });
  const before = await used();
  const peak = { ...before };
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const now = await used();
      peak.usedSize = Math.max(peak.usedSize, now.usedSize);
      peak.totalSize = Math.max(peak.totalSize, now.totalSize);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const result = await work();
    return { result, used: peak.usedSize - before.usedSize, committed: peak.totalSize - before.totalSize };
  } finally {
    done = true;
    await sampling;
    socket.close();
  }
}

/** Builds the data export of the account with `size` followers (the old code in waitUntil, the new as a job). */
async function dataExport(app, size) {
  const userId = id(exportAccount(size));
  const token = await sign({ sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET, "HS256");
  await call(app, "r2/peak", { method: "GET" });
  writeFileSync(`/proc/${app.pid}/clear_refs`, "5"); // resets VmHWM, workerd's peak resident size
  const rssBefore = memoryKiB(app.pid, "VmRSS");
  const startedAt = performance.now();
  const {
    result: row,
    used,
    committed,
  } = await heapGrowth(async () => {
    const response = await fetch(`${app.url}/api/v1/users/me/data-export`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 202) throw new Error(`data export: ${response.status} ${await response.text()}`);
    await drainQueue(app); // the new build is a queued job; the old one runs in waitUntil
    const read = app.db.prepare("SELECT status, size_bytes FROM data_exports WHERE user_id = ?").bind(userId);
    for (;;) {
      const state = await read.first();
      if (state.status !== "building") return state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  const { peak } = await call(app, "r2/peak", { method: "GET" });
  return {
    followers: size,
    status: row.status,
    archiveMB: round((row.size_bytes ?? 0) / 1e6, 1),
    heapUsedMB: round(used / 1e6, 1),
    heapCommittedMB: round(committed / 1e6, 1),
    bufferedMB: round(peak / 1e6, 1),
    // workerd's whole process: local D1 and R2 (the stored archive too) live in it as well.
    rssGrowthMB: round((memoryKiB(app.pid, "VmHWM") - rssBefore) / 1024),
    seconds: seconds(startedAt),
  };
}

// --- 1. one account with FOLLOWERS followers ------------------------------------------------------------
async function finalizeCelebrity(app) {
  const idle = (await call(app, `writes?id=${id(1)}&count=200`)).waits;
  const now = Date.now();
  await app.db
    .prepare(`UPDATE users SET account_deletion_status = 'pending', account_deletion_requested_at = ?,
      account_deletion_scheduled_for = ? WHERE id = ?`)
    .bind(now - 29 * DAY, now - DAY, id(CELEBRITY))
    .run();
  await d1Calls(app);
  const startedAt = performance.now();
  // The cron and every job it queues, with another user's row updated again and again meanwhile.
  const { waits, deliveries } = await call(app, `cron?writesTo=${id(1)}`);
  const drainSeconds = seconds(startedAt);
  const batches = (await d1Calls(app)).filter((c) => c.kind === "batch");
  const left = await app.db
    .prepare("SELECT count(*) AS n FROM follows WHERE followee_id = ?")
    .bind(id(CELEBRITY))
    .first();
  const counter = await app.db
    .prepare("SELECT following_count AS n FROM user_counters WHERE user_id = ?")
    .bind(id(2))
    .first();
  return {
    followers: FOLLOWERS,
    edgesLeft: left.n,
    followerCounterExact: counter.n === EXPORTS.filter((size) => size >= 2 && size !== FOLLOWERS).length,
    chunks: batches.filter((b) => /delete from "follows"/i.test(b.sql)).length,
    mostRowsWrittenInOneBatch: max(batches.map((b) => b.written)),
    longestBatchMs: round(max(batches.map((b) => b.ms))),
    drainSeconds,
    writeWaitIdleMs: { median: round(median(idle), 1), max: round(max(idle), 1) },
    writeWaitDuringMs: { median: round(median(waits), 1), max: round(max(waits), 1) },
    writes: { idle: idle.length, during: waits.length },
    deliveries,
  };
}

// --- 2 and 3. the cron with DUE due among PENDING pending, each with a photo and an export ---------------
async function cleanupAtScale(app, version) {
  const now = Date.now();
  const every = Math.max(1, Math.floor(PENDING / DUE));
  await app.db
    .prepare(`UPDATE users SET account_deletion_status = 'pending', account_deletion_requested_at = ?1,
      account_deletion_scheduled_for = CASE WHEN rowid % ?2 = 0 THEN ?1 + 27 * ${DAY} + rowid ELSE ?1 + 29 * ${DAY} + rowid END
      WHERE rowid <= ?3`)
    .bind(now - 28 * DAY, every, PENDING)
    .run();
  const due = (
    await app.db
      .prepare(`SELECT id FROM users WHERE rowid <= ?1 AND rowid % ?2 = 0`)
      .bind(PENDING, every)
      .raw()
  ).flat();
  for (let i = 0; i < due.length; i += 500) {
    const keys = due
      .slice(i, i + 500)
      .flatMap((user) => [`profile-photos/${user}/scale.webp`, `exports/${user}/scale.json`]);
    await call(app, "r2/put", { body: { keys } });
  }
  // The due selection alone, as the old batch wrote it: what the index makes it read.
  const selection = await call(app, "sql", {
    body: {
      sql: `SELECT id FROM users WHERE account_deletion_status = 'pending' AND account_deletion_scheduled_for <= ?
        ORDER BY account_deletion_scheduled_for, id LIMIT 50`,
      params: [now],
    },
  });
  await d1Calls(app, true);
  const left = async () => {
    const counts = await Promise.all(
      ["scale.webp", "scale.json"].map((suffix) => call(app, `r2/count?suffix=${suffix}`, { method: "GET" })),
    );
    return counts[0].count + counts[1].count;
  };
  const result = { due: due.length, pending: PENDING, runs: 0, runsToFinalize: 0, deliveries: 0 };
  const reads = { selection: 0, total: 0 };
  const startedAt = performance.now();
  while (result.runs < MAX_RUNS) {
    result.runs += 1;
    // Delivered from here, a batch a request: 10,000 jobs take longer than one request may wait.
    await call(app, "cron?jobs=held");
    result.deliveries += await drainQueue(app);
    for (const c of await d1Calls(app, true)) {
      reads.total += c.read;
      const dueSelection =
        c.kind !== "batch" && /^\s*select/i.test(c.sql) && /account_deletion_scheduled_for/.test(c.sql);
      if (dueSelection && /from "users"/.test(c.sql)) reads.selection += c.read;
    }
    const finalized = await app.db
      .prepare("SELECT count(*) AS n FROM users WHERE rowid <= ? AND account_deletion_status = 'finalized'")
      .bind(PENDING)
      .first();
    if (!result.runsToFinalize && finalized.n === due.length) result.runsToFinalize = result.runs;
    if (result.runsToFinalize && (await left()) === 0) break;
    info(`  ${version}: run ${result.runs}, ${finalized.n} finalized, ${seconds(startedAt)} s`);
  }
  return {
    ...result,
    objectsLeft: await left(),
    selectionAloneRowsPer50: selection.read,
    // The old cron's selection runs inside each finalization batch, not as a query of its own.
    dueSelectionRowsPerAccount: version === "new" ? round(reads.selection / due.length, 2) : null,
    allRowsReadPerAccount: round(reads.total / due.length, 1),
    seconds: seconds(startedAt),
  };
}

// --- 5. bytes per follow edge -----------------------------------------------------------------------------
const DBSTAT = `SELECT sum(pgsize) AS bytes FROM dbstat WHERE name = 'follows' OR name LIKE 'sqlite_autoindex_follows%'
  OR name = 'follows_followee_idx'`;

/**
 * Bytes per edge of the follow table and its indexes, from SQLite's dbstat: local D1 does not
 * allow that table (measured below, `dbstatInD1`), so the tree's migrations and the same rows go
 * into Node's own SQLite.
 */
async function bytesPerEdge(root, edges = 200_000) {
  const db = await migratedSqlite(join(root, "migrations"));
  db.prepare(SEED_USERS).run(1, edges + 1, Date.now());
  db.prepare(SEED_FOLLOWS).run(1, edges, id(edges + 1), Date.now());
  return round(db.prepare(DBSTAT).get().bytes / edges, 1);
}

// --- one version ------------------------------------------------------------------------------------------
async function measure(version, root) {
  info(`${version}: building and starting`);
  const app = await start(version, root);
  const result = { version };
  try {
    let startedAt = performance.now();
    const d1 = (sql, params) =>
      app.db
        .prepare(sql)
        .bind(...params)
        .run();
    await seed(d1);
    // The new build's directory holds every username, as sign-ups leave it.
    await app.directory
      ?.prepare(
        `INSERT INTO usernames (username, user_id, claimed_at) ${SERIES} SELECT 'user' || i, printf('%024x', i), ?3 FROM n`,
      )
      .bind(1, CELEBRITY + EXPORTS.length, Date.now())
      .run();
    result.seedSeconds = seconds(startedAt);
    info(`${version}: seeded ${FOLLOWERS} users and their follows in ${result.seedSeconds} s`);
    result.dbstatInD1 = await call(app, "sql", { body: { sql: DBSTAT } }).then(
      (r) => r.results[0].bytes,
      (error) => `refused: ${String(error.message).slice(0, 80)}`,
    );
    result.exports = [];
    for (const size of EXPORTS.filter((s) => version === "new" || s <= OLD_EXPORT_MAX)) {
      result.exports.push(await dataExport(app, size));
      info(`${version}: export of ${size} followers ${JSON.stringify(result.exports.at(-1))}`);
    }
    startedAt = performance.now();
    result.finalize = await finalizeCelebrity(app);
    info(`${version}: finalized ${JSON.stringify(result.finalize)}`);
    result.cleanup = await cleanupAtScale(app, version);
    info(`${version}: clean-up ${JSON.stringify(result.cleanup)}`);
  } finally {
    await app.mf.dispose();
  }
  result.bytesPerFollowEdge = await bytesPerEdge(root);
  return result;
}

function table(results) {
  const [now, old] = results;
  const exportRow = (size) => {
    const cell = (r) => {
      const e = r.exports.find((x) => x.followers === size);
      const heap = (x, k = 1) => `heap +${round(x.heapUsedMB * k)} / +${round(x.heapCommittedMB * k)} MB`;
      if (e) return `${heap(e)}, ${e.bufferedMB} MB to R2 at once (${e.archiveMB} MB archive)`;
      const base = r.exports.at(-1);
      const scale = size / base.followers;
      return `~${heap(base, scale)}, ~${round(base.archiveMB * scale)} MB at once (extrapolated)`;
    };
    return [`data export, ${size.toLocaleString("en")} followers`, cell(now), cell(old)];
  };
  const f = (r) => r.finalize;
  const c = (r) => r.cleanup;
  const rows = [
    [`finalize 1 account, ${FOLLOWERS.toLocaleString("en")} followers: chunks`, f(now).chunks, f(old).chunks],
    ["most rows written in one batch", f(now).mostRowsWrittenInOneBatch, f(old).mostRowsWrittenInOneBatch],
    ["longest batch, ms", f(now).longestBatchMs, f(old).longestBatchMs],
    ["whole finalization and drain, s", f(now).drainSeconds, f(old).drainSeconds],
    ...["max", "median"].map((k) => [
      `concurrent UPDATE, ${k} wait during / idle, ms`,
      ...results.map((r) => `${f(r).writeWaitDuringMs[k]} / ${f(r).writeWaitIdleMs[k]}`),
    ]),
    [
      `due selection alone (LIMIT 50), rows read, ${PENDING.toLocaleString("en")} pending`,
      c(now).selectionAloneRowsPer50,
      c(old).selectionAloneRowsPer50,
    ],
    [
      `cron, ${c(now).due.toLocaleString("en")} due: due-selection rows read per account`,
      c(now).dueSelectionRowsPerAccount,
      "(inside each batch)",
    ],
    [
      "cron and jobs: all rows read per finalized account",
      c(now).allRowsReadPerAccount,
      c(old).allRowsReadPerAccount,
    ],
    [
      "cron runs until all finalized / until R2 clean",
      ...results.map(
        (r) =>
          `${c(r).runsToFinalize} / ${c(r).runs}${c(r).objectsLeft ? ` (${c(r).objectsLeft} left)` : ""}`,
      ),
    ],
    ["queue deliveries (batches of 10)", c(now).deliveries, "-"],
    ...EXPORTS.map(exportRow),
    ["bytes per follow edge (dbstat)", now.bytesPerFollowEdge, old.bytesPerFollowEdge],
  ];
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(["", "new", `old (${OLD_COMMIT})`]), line(["---", "---", "---"]), ...rows.map(line)].join(
    "\n",
  );
}

// SCALE_OLD=0 measures this tree alone (no table, the figures in bench/scale-results.json).
const withOld = process.env.SCALE_OLD !== "0";
if (withOld) prepareOld();
const startedAt = performance.now();
const results = [await measure("new", ROOT), ...(withOld ? [await measure("old", OLD_ROOT)] : [])];
mkdirSync(join(ROOT, "bench"), { recursive: true });
const output = {
  followers: FOLLOWERS,
  pending: PENDING,
  due: DUE,
  chunkRows: Number(CHUNK_ROWS),
  seconds: seconds(startedAt),
  results,
};
writeFileSync(join(ROOT, "bench/scale-results.json"), `${JSON.stringify(output, null, 2)}\n`);
if (withOld) console.log(table(results));
console.log(`\n${output.seconds} s in all; bench/scale-results.json has every figure.`);
