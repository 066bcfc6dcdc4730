// What `npm run bench` and `npm run bench:profile` share: building the Worker as `wrangler deploy`
// would, and running that bundle in workerd through Miniflare with local D1/R2/KV, generous rate
// limits and the migrations applied.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";

export const ROOT = new URL("..", import.meta.url).pathname;
export const OUT = join(ROOT, "bench/out");
export const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const BIN = join(ROOT, "node_modules/.bin");

export function wrangler(args) {
  return execFileSync(join(BIN, "wrangler"), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

// The Rate Limiting bindings as wrangler.toml declares them (their one place).
const { ratelimits } = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });

/**
 * The built Worker in workerd; `options` adds Miniflare shared options (logs, inspector),
 * `bindings` overrides settings, `workerOptions` the Worker's own Miniflare options (its D1
 * databases, say). `script` is the bundle's path, or Miniflare's `modules` list.
 */
export async function startBuiltWorker(script, options = {}, bindings = {}, workerOptions = {}) {
  const worker = {
    name: "api",
    ...(typeof script === "string"
      ? { modules: true, scriptPath: script }
      : { modules: script, modulesRoot: "/" }),
    compatibilityDate: "2026-11-01",
    compatibilityFlags: ["nodejs_compat"],
    d1Databases: { USERS_0: "bench-db" },
    r2Buckets: { MEDIA: "bench-media" },
    kvNamespaces: { FLAGS: "bench-flags" },
    // Photo uploads re-encode through it (sharp locally, as in tests).
    images: { binding: "IMAGES" },
    // The jobs queue, consumed by this Worker as in wrangler.toml, and the account events' queue.
    queueProducers: { JOBS: "profile-api-jobs", ACCOUNT_EVENTS: "account-events" },
    queueConsumers: {
      "profile-api-jobs": {
        maxBatchSize: 10,
        maxBatchTimeout: 1,
        maxRetries: 5,
        deadLetterQueue: "profile-api-jobs-dead",
      },
      "profile-api-jobs-dead": { maxBatchSize: 10, maxBatchTimeout: 1 },
    },
    // The load comes from one user and one IP: limits high enough never to refuse it.
    ratelimits: Object.fromEntries(
      ratelimits.map(({ name, namespace_id, simple }) => [
        name,
        { namespace_id, simple: { ...simple, limit: 1_000_000 } },
      ]),
    ),
    bindings: {
      JWT_SECRET: SECRET,
      // Every other setting takes its default (src/lib/settings.ts).
      ALLOWED_ORIGINS: "http://localhost:8787",
      ...bindings,
    },
    ...workerOptions,
  };
  const mf = new Miniflare(convertV4MiniflareOptions({ workers: [worker], ...options }));
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const db = (await mf.getBindings()).USERS_0;
  await migrate(db);
  return { mf, url, db };
}

/** Applies migrations/ in order, the way wrangler does: one statement per breakpoint. */
export async function migrate(db) {
  const dir = join(ROOT, "migrations");
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

/** The newest workerd started by this process: Miniflare's runtime. */
export function workerdPid() {
  const children = readdirSync(`/proc/${process.pid}/task`).flatMap((thread) =>
    readFileSync(`/proc/${process.pid}/task/${thread}/children`, "utf8").split(" ").filter(Boolean),
  );
  const workerd = children.filter((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd");
  return Math.max(...workerd.map(Number));
}

/**
 * CPU time of a process in ms, summed over its threads from /proc/<pid>/task/<tid>/schedstat (ns),
 * so it counts only time on a CPU: a busy machine delays it but does not inflate it.
 */
export function threadCpuMs(pid) {
  let nanos = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    nanos += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, "utf8").split(" ")[0]);
  }
  return nanos / 1e6;
}
