// `npm run bench`: the built Worker in workerd itself (Miniflare's API, never `wrangler dev`, whose
// proxy is several times slower), with local D1/R2/KV, in two modes:
// - edge: every D1 round trip waits as the network would (15 ms to a replica for a GET's session,
//   80 ms to the primary otherwise), 4 connections: p50/p99 per endpoint against its floor;
// - local: no delay, 10 connections: throughput and workerd CPU per request against the floors.
// The floors (one raw read, one raw UPDATE … RETURNING) run in the same Worker, behind the same
// binding (scripts/bench-edge-worker.mjs), which also counts D1 round trips. Then startup, the first
// request of each kind in a fresh isolate, and the cron. Prints tables; writes bench/results.json.
// Figures are only comparable within one run: the machine's two cores are shared.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { CROWD_STAR, ENDPOINTS, enableFinalizeNow, READER, seed } from "./bench-endpoints.mjs";
import { measureStartup } from "./bench-startup.mjs";
import { build, OUT, ROOT, startBuiltWorker, workerdPid } from "./bench-worker.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const MODES = {
  edge: { replicaMs: 15, primaryMs: 80, connections: 4, pool: "e1" },
  local: { replicaMs: 0, primaryMs: 0, connections: 10, pool: "e2" },
};
const FRESH_RUNS = 3;
const WARM_PASSES = 4;
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK

// --- build ---------------------------------------------------------------------------------------
function buildAll() {
  const output = build("worker", [], ["--outfile", join(OUT, "worker.bundle")]);
  const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  // The same app, with the delaying and counting D1 bindings in front.
  build("edge", "scripts/bench-edge-worker.mjs");
  return { minifiedKiB: Number(match?.[1]), gzipKiB: Number(match?.[2]) };
}

// --- the workerd process -------------------------------------------------------------------------
/** utime + stime of a process, in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The edge Worker, seeded; `pools` are the account pools to create, `shared` Miniflare options. */
async function startEdgeWorker(pools, { crowd = true, ...shared } = {}) {
  const app = await startBuiltWorker(join(OUT, "edge/bench-edge-worker.js"), shared, {
    // Each load renames one account many times a second.
    USERNAME_CHANGE_COOLDOWN_DAYS: "0",
  });
  await seed(app, pools, { crowd });
  await enableFinalizeNow((await app.mf.getBindings()).FLAGS);
  return { ...app, pid: workerdPid() };
}

const control = async (url, path, init) => (await fetch(`${url}/__bench/${path}`, init)).json();

/** Sends one request and waits for its whole body: wall ms, workerd CPU ms, D1 round trips. */
async function timedRequest(app, endpoint, index, pool) {
  const { path, ...init } = endpoint.request(index, pool);
  await control(app.url, "d1");
  const cpuBefore = cpuMs(app.pid);
  const startedAt = performance.now();
  const response = await fetch(`${app.url}${path}`, init);
  await response.arrayBuffer();
  const ms = performance.now() - startedAt;
  const cpu = cpuMs(app.pid) - cpuBefore;
  const d1 = await control(app.url, "d1");
  return { ms, cpu, status: response.status, roundTrips: d1.primary + d1.replica };
}

// --- first requests ------------------------------------------------------------------------------
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sum = (values) => values.reduce((total, value) => total + value, 0);

/**
 * In fresh isolates: one request of each kind, one after another (what a cold isolate's first
 * users pay beyond startup), then the same pass again warm, WARM_PASSES times. Wall time per
 * request is at the mercy of the shared cores; workerd's CPU over a whole pass is steadier.
 */
async function firstRequests() {
  const endpoints = ENDPOINTS.filter((endpoint) => endpoint.floor);
  const runs = [];
  for (let run = 0; run < FRESH_RUNS; run += 1) {
    const app = await startEdgeWorker(["e3"], { crowd: false, handleStructuredLogs: () => {} });
    const passes = [];
    for (let pass = 0; pass <= WARM_PASSES; pass += 1) {
      const requests = [];
      for (const endpoint of endpoints) {
        await endpoint.prepare?.(app, "e3");
        requests.push(await timedRequest(app, endpoint, pass, "e3"));
      }
      passes.push(requests);
    }
    await app.mf.dispose();
    runs.push(passes);
  }
  const perKind = endpoints.map((endpoint, index) => ({
    name: endpoint.name,
    firstMs: Number(median(runs.map((passes) => passes[0][index].ms)).toFixed(1)),
    warmMs: Number(median(runs.flatMap((passes) => passes.slice(1).map((p) => p[index].ms))).toFixed(1)),
    // A warm request's: the photo upload's first one finds no photo to replace.
    roundTrips: runs[0][1][index].roundTrips,
    failed: runs.flatMap((passes) => passes.map((p) => p[index].status)).filter((status) => status >= 300)
      .length,
  }));
  const passCpu = (pick) =>
    Number(
      (
        sum(runs.flatMap((passes) => pick(passes).map((p) => sum(p.map((r) => r.cpu))))) /
        runs.length /
        pick(runs[0]).length
      ).toFixed(1),
    );
  return {
    perKind,
    firstPassCpuMs: passCpu((passes) => passes.slice(0, 1)),
    warmPassCpuMs: passCpu((passes) => passes.slice(1)),
  };
}

// --- load ----------------------------------------------------------------------------------------
async function load(app, endpoint, mode) {
  await endpoint.prepare?.(app, mode.pool);
  let index = 0;
  await control(app.url, "d1");
  const cpuBefore = cpuMs(app.pid);
  const result = await autocannon({
    url: app.url,
    connections: mode.connections,
    duration: mode.seconds ?? SECONDS,
    requests: [{ setupRequest: (request) => ({ ...request, ...endpoint.request(index++, mode.pool) }) }],
  });
  const cpu = cpuMs(app.pid) - cpuBefore;
  const d1 = await control(app.url, "d1");
  const requests = result.requests.total;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    failed: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: requests ? Number((cpu / requests).toFixed(2)) : null,
    d1PerRequest: requests ? Number(((d1.primary + d1.replica) / requests).toFixed(2)) : null,
  };
}

async function loadAll(app) {
  const results = {};
  for (const [modeName, mode] of Object.entries(MODES)) {
    await control(app.url, `config?replicaMs=${mode.replicaMs}&primaryMs=${mode.primaryMs}`, {
      method: "POST",
    });
    progress(`${modeName} mode`);
    // JIT, D1 and the client warm up on the floors first, so the first load measured is not the coldest.
    for (const endpoint of ENDPOINTS.filter((e) => e.key)) await load(app, endpoint, { ...mode, seconds: 1 });
    results[modeName] = {};
    for (const endpoint of ENDPOINTS) results[modeName][endpoint.name] = await load(app, endpoint, mode);
  }
  return results;
}

// --- stats rows and cron -------------------------------------------------------------------------
// The query readStats() builds with Drizzle (test/counters.test.ts asserts the real one).
const STATS_SQL =
  'select "followers_count", "following_count", "live_streams_count" from "user_counters" where "user_counters"."user_id" = ? limit ?';

async function rowsRead(app, userId) {
  const result = await app.onShardOf(userId).prepare(STATS_SQL).bind(userId, 1).all();
  return { rowsRead: result.meta.rows_read, followers: result.results[0]?.followers_count };
}

const cronLines = [];
function captureLog({ message }) {
  if (message.includes('"job":"deletions"')) cronLines.push(message);
}

const LEFT_SQL = `SELECT (SELECT count(*) FROM users WHERE account_deletion_status = 'pending' AND id LIKE 'ee%')
  + (SELECT count(*) FROM account_cleanup_jobs) AS n`;

// Finalizations are queued jobs that Miniflare delivers about 40 a second here: 10,000 take minutes.
const DUE = Number(process.env.BENCH_CRON_ACCOUNTS ?? 1000);
async function cron(app) {
  const now = Date.now();
  const due = Array.from({ length: DUE }, (_, n) => `ee${(n + 1).toString(16).padStart(22, "0")}`);
  await app.addUsers(
    due.map((id, n) => ({ id, username: `due${n}`, email: `due${n}@example.com` })),
    now,
  );
  for (const shard of app.shards)
    await shard
      .prepare(`UPDATE users SET account_deletion_status = 'pending', account_deletion_requested_at = ?1,
        account_deletion_scheduled_for = ?1 WHERE id LIKE 'ee%'`)
      .bind(now - 1000)
      .run();
  const left = async () => {
    let n = 0;
    for (const shard of app.shards) n += (await shard.prepare(LEFT_SQL).first()).n;
    return n;
  };
  await control(app.url, "config?replicaMs=0&primaryMs=0", { method: "POST" });
  await control(app.url, "d1");
  const worker = await app.mf.getWorker();
  const startedAt = performance.now();
  // One run queues every due account; the jobs queue's consumer (this Worker) finalizes them.
  await worker.scheduled({ cron: "*/15 * * * *", scheduledTime: new Date() });
  while ((await left()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  const wallMs = Math.round(performance.now() - startedAt);
  const d1 = await control(app.url, "d1");
  // One line per shard and run.
  const queued = cronLines.map((line) => JSON.parse(line.slice(line.indexOf("{"))).finalizationsQueued);
  return {
    accounts: DUE,
    finalized: sum(queued),
    runs: cronLines.length / app.shards.length,
    d1Calls: d1.primary + d1.replica,
    wallMs,
  };
}

// --- report --------------------------------------------------------------------------------------
const ratio = (value, floor) => Number((value / floor).toFixed(2));
const READ_GOAL = 0.8;
const WRITE_GOAL = 0.6;
const LATENCY_GOAL = 1.2;

function report(load, first) {
  const floors = Object.fromEntries(
    ENDPOINTS.filter((endpoint) => endpoint.key).map((endpoint) => [
      endpoint.key,
      { edge: load.edge[endpoint.name], local: load.local[endpoint.name] },
    ]),
  );
  return ENDPOINTS.map((endpoint) => {
    const edge = load.edge[endpoint.name];
    const local = load.local[endpoint.name];
    const floor = floors[endpoint.floor];
    const row = {
      name: endpoint.name,
      edge,
      local,
      roundTrips: first.perKind.find((f) => f.name === endpoint.name)?.roundTrips,
    };
    if (!floor) return row;
    const held = endpoint.heldToGoal !== false;
    const throughputGoal = endpoint.floor === "floorRead" ? READ_GOAL : WRITE_GOAL;
    return {
      ...row,
      floor: endpoint.floor,
      heldToGoal: held,
      p50RatioToFloor: ratio(edge.p50, floor.edge.p50),
      latencyGoal: LATENCY_GOAL,
      rpsRatioToFloor: ratio(local.rps, floor.local.rps),
      throughputGoal,
    };
  });
}

const line = (cells) => `| ${cells.join(" | ")} |`;
const verdict = (met, held) => (held ? (met ? "met" : "missed") : "reported");

function printTables(results) {
  const { settings, routes, firstRequests: first, startup } = results;
  console.log(
    `edge mode: ${settings.edge.replicaMs} ms a replica round trip, ${settings.edge.primaryMs} ms a primary one, ${settings.edge.connections} connections; local mode: no delay, ${settings.local.connections} connections; ${settings.seconds} s a load`,
  );
  console.log();
  console.log(
    line([
      "request",
      "D1 round trips",
      "edge p50 ms",
      "edge p99 ms",
      "p50 / floor (≤ 1.2)",
      "local req/s",
      "req/s / floor (goal)",
      "CPU ms/req",
      "failed",
    ]),
  );
  console.log(line(Array(9).fill("---")));
  for (const r of routes) {
    const latency = r.floor
      ? `${r.p50RatioToFloor.toFixed(2)} ${verdict(r.p50RatioToFloor <= LATENCY_GOAL, r.heldToGoal)}`
      : "";
    const throughput = r.floor
      ? `${r.rpsRatioToFloor.toFixed(2)} (≥ ${r.throughputGoal}) ${verdict(r.rpsRatioToFloor >= r.throughputGoal, r.heldToGoal)}`
      : "";
    console.log(
      line([
        r.name,
        r.roundTrips ?? 1,
        r.edge.p50,
        r.edge.p99,
        latency,
        r.local.rps,
        throughput,
        r.local.cpuMsPerRequest,
        r.edge.failed + r.local.failed,
      ]),
    );
  }
  console.log();
  console.log(line(["request in a fresh isolate", "first ms", "warm ms", "failed"]));
  console.log(line(["---", "---", "---", "---"]));
  for (const f of first.perKind) console.log(line([f.name, f.firstMs, f.warmMs, f.failed]));
  console.log();
  console.log(
    `startup: ${startup.median} ms Active, median of ${startup.runs.join(", ")} (goal: at most 30 ms; \`npm run bench:startup\` profiles it)`,
  );
  console.log(
    `startup + one request of each kind, workerd CPU: ${startup.median} + ${first.firstPassCpuMs} = ${(startup.median + first.firstPassCpuMs).toFixed(1)} ms (the same requests warm: ${first.warmPassCpuMs} ms)`,
  );
  const { statsRowsRead: rows, bundle, cron: c } = results;
  console.log(
    `stats rows read: ${rows.at10.rowsRead} at ${rows.at10.followers} followers, ${rows.at100k.rowsRead} at ${rows.at100k.followers} followers (goal: equal, 1 or 2)`,
  );
  console.log(
    `bundle: ${bundle.minifiedKiB} KiB minified, ${bundle.gzipKiB} KiB gzip (goal: at most 120 KiB gzip)`,
  );
  console.log(
    `cron: ${c.finalized} of ${c.accounts} accounts in ${c.runs} runs, ${c.d1Calls} D1 calls (counted), ${c.wallMs} ms`,
  );
}

// --- main ----------------------------------------------------------------------------------------
const startedAt = performance.now();
const progress = (step) =>
  console.error(`${((performance.now() - startedAt) / 1000).toFixed(0)} s: ${step}…`);
mkdirSync(OUT, { recursive: true });
progress("building");
const bundle = buildAll();
progress("startup");
const startup = measureStartup(join(OUT, "worker.bundle"));
progress("first requests");
const first = await firstRequests();
progress("seeding");
const app = await startEdgeWorker(
  Object.values(MODES).map((mode) => mode.pool),
  { handleStructuredLogs: captureLog },
);
const loaded = await loadAll(app);
const rows = { at10: await rowsRead(app, READER), at100k: await rowsRead(app, CROWD_STAR) };
progress("cron");
const cronResult = await cron(app);
await app.mf.dispose();

const results = {
  measuredAt: new Date().toISOString(),
  settings: { seconds: SECONDS, ...MODES },
  routes: report(loaded, first),
  firstRequests: first,
  startup,
  statsRowsRead: rows,
  bundle,
  cron: cronResult,
};
mkdirSync(join(ROOT, "bench"), { recursive: true });
writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
printTables(results);
