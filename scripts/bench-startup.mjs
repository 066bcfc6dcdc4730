// `npm run bench:startup`: what the client of a cold isolate waits for, this tree against the
// build it replaces (BENCH_BASE, default: where this branch left main), in one run.
//
// Both are built as `wrangler deploy` would and run in workerd through Miniflare with local D1,
// R2 and KV, in the deployed layout: two shards (USERS_0, USERS_1) and the directory, each with
// its migrations, and EMAIL_HASH_SECRET set; the bench's users are on every shard, so each build
// finds them wherever its shard function puts them. Each measurement is a fresh isolate: a small entry module imports the bundle on its
// first request (as `wrangler check startup` does), then one request of a kind is sent. The
// isolate's CPU comes from the workerd inspector's profiler, as "Active" in `wrangler check
// startup`: sampled time minus idle, garbage collection included; waiting for D1 is idle. Builds
// alternate isolate after isolate, so the machine's load falls on both alike; figures are medians.
//
// Then where the startup and first request of this tree still go: the same profiles of an
// unminified build, self time per bundled module and per function. `measureStartup` (wrangler's
// own "Active") is what `npm run bench` reports.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ENDPOINTS, seed } from "./bench-endpoints.mjs";
import { OUT, ROOT, startBuiltWorker, threadCpuMs, workerdPid, wrangler } from "./bench-worker.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
// After the first request: WARM_UP more, then WARM_REQUESTS measured together (CPU per request).
const WARM_UP = 10;
const WARM_REQUESTS = 40;
const PROFILE_RUNS = 5;
// The layout of wrangler.toml: the shards (each its own database) and the directory.
const D1_DATABASES = { USERS_0: "bench-shard-0", USERS_1: "bench-shard-1", DIRECTORY: "bench-directory" };
const SHARD_BINDINGS = ["USERS_0", "USERS_1"];
const KINDS = ["GET /users/me", "GET /users/me/stats (100,000 followers)", "PUT /users/profile"].map((name) =>
  ENDPOINTS.find((endpoint) => endpoint.name === name),
);

const git = (...args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (ms) => Math.round(ms * 10) / 10;

/**
 * Applies the migrations of `dir` in order, the way wrangler does: one statement per breakpoint.
 * bench-worker.mjs's `migrate()` reads only this tree's migrations/; a directory parameter there
 * would make this copy unnecessary.
 */
async function applyMigrations(db, dir) {
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .sort()) {
    const statements = readFileSync(join(dir, file), "utf8")
      .split("--> statement-breakpoint")
      .map((statement) => statement.trim())
      .filter(Boolean);
    await db.batch(statements.map((statement) => db.prepare(statement)));
  }
}

// --- builds --------------------------------------------------------------------------------------

/** This tree's Worker (`commit` null) or the one at `commit`, extracted under bench/out. */
function build(commit, { minify = true } = {}) {
  const dir = join(OUT, `startup-${commit ? commit.slice(0, 10) : "head"}${minify ? "" : "-unminified"}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const args = ["deploy", "--dry-run", "--outdir", join(dir, "dist"), "--metafile", join(dir, "meta.json")];
  if (!minify) args.push("--minify=false");
  if (commit) {
    const paths = "src build public wrangler.toml migrations migrations-directory";
    execFileSync("sh", ["-c", `git archive ${commit} ${paths} | tar -x -C ${dir}`], {
      cwd: ROOT,
    });
    // The zod shim (build/zod) imports zod by a path relative to the project root.
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    args.push("--config", join(dir, "wrangler.toml"));
  }
  const output = wrangler(args);
  const source = readFileSync(join(dir, "dist/index.js"));
  const tree = commit ? dir : ROOT;
  return {
    label: commit ? commit.slice(0, 7) : "this tree",
    dir,
    migrations: { shard: join(tree, "migrations"), directory: join(tree, "migrations-directory") },
    source: source.toString("utf8"),
    kib: source.length / 1024,
    // The measure: gzip -9 of the uploaded module; wrangler prints its own gzip figure.
    gzipKiB: gzipSync(source, { level: 9 }).length / 1024,
    wranglerGzipKiB: Number(/gzip: ([\d.]+) KiB/.exec(output)?.[1]),
    byPackage: bytesByPackage(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"))),
  };
}

/** Minified bytes of the bundle per package (and our src/, build/), from esbuild's metafile. */
function bytesByPackage(meta) {
  const output = Object.values(meta.outputs).find((entry) => entry.entryPoint);
  const bytes = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = owner(path.replace(/^.*?node_modules\//, "node_modules/"));
    const key = name.startsWith("zod/")
      ? "zod"
      : name.startsWith("src/") || name.startsWith("build/")
        ? "src, build (ours)"
        : name;
    bytes.set(key, (bytes.get(key) ?? 0) + bytesInOutput);
  }
  return bytes;
}

// The bundle is imported by the first request, so startup is measured on its own.
const ENTRY = `
let worker;
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/startup") {
      worker = (await import("./index.js")).default;
      return new Response("started");
    }
    return worker.fetch(request, env, ctx);
  },
};`;

// --- the profiler --------------------------------------------------------------------------------

/** The Chrome DevTools protocol over the inspector's WebSocket for the "api" worker. */
async function inspect(mf) {
  const url = new URL("/core:user:api", (await mf.getInspectorURL()).href);
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 0;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      nextId += 1;
      pending.set(nextId, (message) =>
        message.error ? reject(new Error(message.error.message)) : resolve(message.result),
      );
      socket.send(JSON.stringify({ id: nextId, method, params }));
    });
  await send("Profiler.enable");
  return { send, close: () => socket.close(), pid: workerdPid() };
}

/** The isolate's CPU profile while `work` runs, and the workerd process's CPU ms (all threads). */
async function profiled(inspector, work) {
  await inspector.send("Profiler.start");
  const before = threadCpuMs(inspector.pid);
  await work();
  const cpuMs = threadCpuMs(inspector.pid) - before;
  const { profile } = await inspector.send("Profiler.stop");
  return Object.assign(profile, { cpuMs });
}

/** CPU ms of a profile: sampled time minus idle (garbage collection included). */
function activeMs(profile) {
  const idle = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((n) => n.id),
  );
  let micros = 0;
  profile.samples.forEach((id, index) => {
    if (!idle.has(id)) micros += profile.timeDeltas[index] ?? 0;
  });
  return micros / 1000;
}

// --- one cold isolate ----------------------------------------------------------------------------

async function send(url, endpoint, index) {
  const { path, ...init } = endpoint.request(index, "e3");
  const response = await fetch(`${url}${path}`, init);
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`${endpoint.name} answered ${response.status}`);
}

/** Startup and the first request of `endpoint` in a fresh isolate, then its CPU per request warm. */
async function coldIsolate(built, endpoint) {
  const modules = [
    { type: "ESModule", path: "/bench-entry.mjs", contents: ENTRY },
    { type: "ESModule", path: "/index.js", contents: built.source },
  ];
  // startBuiltWorker migrates USERS_0 (this tree's migrations: the base must share the schema).
  const app = await startBuiltWorker(
    modules,
    { inspectorPort: 0, handleStructuredLogs: () => {} },
    { EMAIL_HASH_SECRET: "bench-email-hash-secret-0123456789abcdef" },
    { d1Databases: D1_DATABASES },
  );
  try {
    const bindings = await app.mf.getBindings();
    for (const name of SHARD_BINDINGS.slice(1)) await applyMigrations(bindings[name], built.migrations.shard);
    await applyMigrations(bindings.DIRECTORY, built.migrations.directory);
    for (const name of SHARD_BINDINGS) await seed(bindings[name], [], { crowd: false });
    const inspector = await inspect(app.mf);
    const startup = await profiled(inspector, () =>
      fetch(`${app.url}/__bench/startup`).then((r) => r.text()),
    );
    const first = await profiled(inspector, () => send(app.url, endpoint, 0));
    for (let i = 1; i <= WARM_UP; i += 1) await send(app.url, endpoint, i);
    const warmBefore = threadCpuMs(inspector.pid);
    for (let i = 1; i <= WARM_REQUESTS; i += 1) await send(app.url, endpoint, WARM_UP + i);
    const warmCpuMs = (threadCpuMs(inspector.pid) - warmBefore) / WARM_REQUESTS;
    inspector.close();
    return {
      startup,
      first,
      startupMs: activeMs(startup),
      firstMs: activeMs(first),
      startupCpuMs: startup.cpuMs,
      firstCpuMs: first.cpuMs,
      warmCpuMs,
    };
  } finally {
    await app.mf.dispose();
  }
}

// --- where it goes -------------------------------------------------------------------------------

/** For each line of an unminified esbuild bundle, the module it came from. */
function moduleOfLine(source) {
  let current = "(bundle)";
  return source.split("\n").map((line) => {
    const marker = /^\/\/ ((?:node_modules|src|build)\/\S+)$/.exec(line);
    if (marker) current = marker[1];
    return current;
  });
}

/** A module path shortened to what it belongs to: a package, or a file of ours. */
function owner(path) {
  const dependency = /^node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (!dependency) return path;
  // zod's own layers are worth telling apart (core checks, classic API, locales).
  if (dependency[1] === "zod") return `zod/${dependency[2].split("/").slice(0, 2).join("/")}`;
  return dependency[1];
}

/** Self time (µs) per module owner and per function, summed over profiles; idle excluded. */
export function selfTimes(profiles, modules) {
  const byOwner = new Map();
  const byFunction = new Map();
  const add = (map, key, micros) => map.set(key, (map.get(key) ?? 0) + micros);
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const frame = nodes.get(id).callFrame;
      if (frame.functionName === "(idle)") return;
      const micros = profile.timeDeltas[index] ?? 0;
      const module =
        frame.lineNumber >= 0 ? (modules[frame.lineNumber] ?? "(bundle)") : frame.functionName || "(compile)";
      add(byOwner, owner(module), micros);
      add(byFunction, `${frame.functionName || "(top level)"} ${module}:${frame.lineNumber + 1}`, micros);
    });
  }
  const top = (map, count) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => ({ name, ms: Number((micros / 1000 / profiles.length).toFixed(1)) }));
  return { byOwner: top(byOwner, 14), byFunction: top(byFunction, 12) };
}

function printProfile(title, profiles, modules) {
  const { byOwner, byFunction } = selfTimes(profiles, modules);
  console.log(`\n${title}, self ms per run by module:`);
  for (const { name, ms } of byOwner) console.log(`  ${String(ms).padStart(5)}  ${name}`);
  console.log("  by function:");
  for (const { name, ms } of byFunction) console.log(`  ${String(ms).padStart(5)}  ${name}`);
}

/** `wrangler check startup` of `deployBundle` (what `wrangler deploy` uploads): its "Active" ms. */
export function measureStartup(deployBundle, runs = 5) {
  const active = [];
  for (let i = 0; i < runs; i += 1) {
    const output = wrangler([
      "check",
      "startup",
      "--worker",
      deployBundle,
      "--outfile",
      join(OUT, "startup.cpuprofile"),
    ]);
    active.push(Number(/Active: ([\d.]+) ms/.exec(output)?.[1]));
  }
  return { median: median(active), min: Math.min(...active), runs: active };
}

// --- the run -------------------------------------------------------------------------------------

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.env.BENCH_BASE ?? git("merge-base", "HEAD", "main");
  try {
    git("diff", "--quiet", base, "--", "migrations");
  } catch {
    console.warn(`warning: ${base.slice(0, 10)} has other migrations; its USERS_0 gets this tree's`);
  }
  console.log(
    `building this tree and ${base.slice(0, 10)}; ${RUNS} fresh isolates per build and request kind`,
  );
  const builds = [build(base), build(null)];
  const results = builds.map(() => KINDS.map(() => []));
  for (let run = 0; run < RUNS; run += 1) {
    for (const [kind, endpoint] of KINDS.entries()) {
      // Alternating which build goes first, so neither always meets a warmer machine.
      const order = (run + kind) % 2 === 0 ? [0, 1] : [1, 0];
      for (const index of order) results[index][kind].push(await coldIsolate(builds[index], endpoint));
    }
    process.stderr.write(`run ${run + 1}/${RUNS} done (load average ${(await loadAverage()).toFixed(1)})\n`);
  }

  const rows = [
    [
      "bundle, KiB (gzip -9; wrangler's gzip)",
      ...builds.map((b) => `${b.kib.toFixed(1)} (${b.gzipKiB.toFixed(1)}; ${b.wranglerGzipKiB})`),
      "≤ 110 gzip",
    ],
    [`startup, ms (median of ${RUNS * KINDS.length})`, ...cells(results, null, "startup"), "≤ 30"],
  ];
  for (const [kind, endpoint] of KINDS.entries()) {
    rows.push([
      `startup + first ${endpoint.name}`,
      ...cells(results, kind, "total"),
      kind === 0 ? "≤ 40" : "",
    ]);
    rows.push(["  first request alone", ...cells(results, kind, "first"), ""]);
    rows.push([
      `  warm: CPU per request, ${WARM_REQUESTS} after ${WARM_UP + 1} (no profiler)`,
      ...cells(results, kind, "warm"),
      "no slower",
    ]);
  }
  const widths = [52, 26, 26, 12];
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join(" ");
  console.log(
    `\nms of a fresh isolate, medians of ${RUNS} isolates each: workerd CPU (all threads, /proc schedstat)` +
      ` · the isolate's profiler "Active" (as wrangler check startup; counts time a busy machine takes the CPU away):`,
  );
  console.log(line(["", `before (${builds[0].label})`, `after (${builds[1].label})`, "goal"]));
  for (const row of rows) console.log(line(row));

  console.log("\nbundle by package, minified KiB (esbuild metafile):");
  const packages = [...builds[1].byPackage.keys(), ...builds[0].byPackage.keys()].filter(
    (name, index, all) => all.indexOf(name) === index,
  );
  const kibOf = (built, name) => ((built.byPackage.get(name) ?? 0) / 1024).toFixed(1);
  for (const name of packages.sort(
    (a, b) => (builds[1].byPackage.get(b) ?? 0) - (builds[1].byPackage.get(a) ?? 0),
  )) {
    console.log(line([`  ${name}`, kibOf(builds[0], name), kibOf(builds[1], name), ""]));
  }

  // Where this tree's startup and first GET /users/me go, in an unminified build.
  const unminified = build(null, { minify: false });
  const modules = moduleOfLine(unminified.source);
  const profiles = [];
  for (let i = 0; i < PROFILE_RUNS; i += 1) profiles.push(await coldIsolate(unminified, KINDS[0]));
  // For a closer look (Chrome DevTools, Performance: load profile).
  profiles.forEach(({ startup, first }, i) => {
    writeFileSync(join(unminified.dir, `startup-${i + 1}.cpuprofile`), JSON.stringify(startup));
    writeFileSync(join(unminified.dir, `first-request-${i + 1}.cpuprofile`), JSON.stringify(first));
  });
  console.log(`\nprofiles written to ${unminified.dir}`);
  const startupMs = round(median(profiles.map((p) => p.startupMs)));
  const firstMs = round(median(profiles.map((p) => p.firstMs)));
  printProfile(
    `startup of the unminified build (${startupMs} ms)`,
    profiles.map((p) => p.startup),
    modules,
  );
  printProfile(
    `first GET /users/me of the unminified build (${firstMs} ms)`,
    profiles.map((p) => p.first),
    modules,
  );
}

/** "CPU · Active" of one figure for each build: startup, first request, their total, or warm. */
function cells(results, kind, what) {
  const pick = {
    startup: [(x) => x.startupCpuMs, (x) => x.startupMs],
    first: [(x) => x.firstCpuMs, (x) => x.firstMs],
    total: [(x) => x.startupCpuMs + x.firstCpuMs, (x) => x.startupMs + x.firstMs],
    warm: [(x) => x.warmCpuMs],
  }[what];
  return results.map((r) => {
    const samples = kind === null ? r.flat() : r[kind];
    return pick.map((get) => round(median(samples.map(get)))).join(" · ");
  });
}

async function loadAverage() {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}
