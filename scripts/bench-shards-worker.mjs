// The Worker `npm run bench:shards` loads: the app behind four shard bindings, USERS_0 … USERS_3,
// each wrapped as one D1 database behaves: a single writer. Every write to a database (a statement
// that is not a SELECT, or a batch holding one) waits for the database's previous write to finish,
// then costs a fixed `writeMs` before it reaches the real local D1; reads go straight through.
// The wrappers also count rows read and written from each result's `meta`. Nothing is mocked.
// The app sees the first `shards` bindings only, so one workerd measures 1, 2 and 4 shards, and
// each user lives where the app's own src/lib/shards.ts puts it for that many.
// /__bench/* is answered here, never by the app:
//   POST /__bench/config?shards=&writeMs=   the shards the app sees and the cost of a write
//   POST /__bench/users?prefix=&from=&count=  inserts users prefix+hex(n) on their shards and their
//                                            usernames in the directory: how many per shard
//   GET  /__bench/rows                      rows read and written since the last call, and calls; reset
//   GET  /__bench/in-flight                 writes waiting for their slot or running
//   POST /__bench/sql?user=                 runs {sql, params} (all()) on the shard of `user`, metered
//   GET  /__bench/shard?user=               the shard of a user id for the current shard count

import worker from "../src/index.ts";
import { shardOf } from "../src/lib/shards.ts";

const SHARDS = 4;
const config = { shards: SHARDS, writeMs: 4 };
const rows = { read: 0, written: 0, calls: 0, writes: 0, last: [] };
let writesInFlight = 0;

const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined);
const isWrite = (sql) => !/^\s*select\b/i.test(sql);

/**
 * One database's single writer, kept as a schedule: a write takes the database's next free slot of
 * `writeMs`, waits for the slot's end, then runs on the real local D1 (which runs one query at a
 * time per database itself). That is a first-come, first-served mutex held `writeMs` a write,
 * without one request waiting on a promise another request resolves: workerd cancels such a
 * request as hung (a promise chain tried first). The slot leaves out the local D1 time: timed in a
 * busy isolate, it is mostly the wait for the event loop, not the database.
 */
function singleWriter() {
  let freeAt = 0;
  return async (send) => {
    // workerd's clock moves only at I/O: a timer brings it up to now (else a write arriving after
    // CPU work would take a slot that began in the past, and writes would overlap).
    await new Promise((resolve) => setTimeout(resolve, 0));
    const arrivedAt = Date.now();
    const startAt = Math.max(arrivedAt, freeAt);
    freeAt = startAt + config.writeMs;
    writesInFlight += 1;
    try {
      await sleep(freeAt - arrivedAt);
      return await send();
    } finally {
      writesInFlight -= 1;
    }
  };
}

const metaOf = (result) => ({ read: result?.meta?.rows_read ?? 0, written: result?.meta?.rows_written ?? 0 });

/** Adds a round trip's rows; raw() and first() drop `meta`, so their SELECT is run again with all(). */
async function meter(sql, results, again) {
  const counted = again ? [metaOf(await again())] : results.map(metaOf);
  rows.calls += 1;
  for (const { read, written } of counted) {
    rows.read += read;
    rows.written += written;
  }
  // The last few round trips, for a look at what was read.
  rows.last = [...rows.last.slice(-4), { sql, rows: counted }];
}

/** `d1` (a binding or a session) as one database with a single writer `write`, metered. */
function shardD1(d1, write) {
  const unwrap = new WeakMap();
  const send = async (sql, run, again) => {
    const writes = isWrite(sql);
    if (writes) rows.writes += 1;
    const result = await (writes ? write(run) : run());
    await meter(sql, [result], !writes && again);
    return result;
  };
  const statement = (real, sql, params = []) => {
    const proxy = new Proxy(real, {
      get(target, property) {
        if (property === "bind") return (...values) => statement(target.bind(...values), sql, values);
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "all" || property === "run")
          return (...args) => send(sql, () => value.apply(target, args));
        if (property === "raw" || property === "first") {
          const again = () =>
            d1
              .prepare(sql)
              .bind(...params)
              .all();
          return (...args) => send(sql, () => value.apply(target, args), again);
        }
        return value.bind(target);
      },
    });
    unwrap.set(proxy, { real, sql });
    return proxy;
  };
  return new Proxy(d1, {
    get(target, property) {
      if (property === "prepare") return (sql) => statement(target.prepare(sql), sql);
      if (property === "batch") {
        return async (statements) => {
          const parts = statements.map((s) => unwrap.get(s) ?? { real: s, sql: "?" });
          const run = () => target.batch(parts.map((part) => part.real));
          const writes = parts.some((part) => isWrite(part.sql));
          if (writes) rows.writes += 1;
          const results = await (writes ? write(run) : run());
          await meter(parts.map((part) => part.sql).join(";\n"), results);
          return results;
        };
      }
      if (property === "withSession") return (...args) => shardD1(target.withSession(...args), write);
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The env the app sees with each shard count: the first `n` bindings, wrapped. Made once per isolate. */
let envs;
function envFor(env) {
  if (!envs) {
    const wrapped = Array.from({ length: SHARDS }, (_, shard) =>
      shardD1(env[`USERS_${shard}`], singleWriter()),
    );
    const bindingsOf = (n) =>
      Object.fromEntries(wrapped.slice(0, n).map((d1, shard) => [`USERS_${shard}`, d1]));
    const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !/^USERS_\d+$/.test(name)));
    envs = new Map([1, 2, 4].map((n) => [n, { ...rest, ...bindingsOf(n) }]));
  }
  return envs.get(config.shards);
}

/** Users prefix+hex(n) for n in [from, from+count), each inserted on its shard, a batch per shard. */
async function insertUsers(env, prefix, from, count) {
  const now = Date.now();
  const byShard = new Map();
  for (let n = from; n < from + count; n += 1) {
    const id = `${prefix}${n.toString(16).padStart(24 - prefix.length, "0")}`;
    const shard = shardOf(env, id);
    if (!byShard.has(shard)) byShard.set(shard, []);
    byShard.get(shard).push(id);
  }
  const perShard = Array(config.shards).fill(0);
  for (const [shard, ids] of byShard) {
    const d1 = env[`USERS_${shard}`];
    for (let i = 0; i < ids.length; i += 500) {
      await d1.batch(
        ids.slice(i, i + 500).map((id) =>
          d1
            .prepare(
              // No email: the load's profile has none, so each write is one UPDATE.
              `INSERT INTO users (id, username, name, surname, is_registration_complete, created_at, updated_at)
               VALUES (?, ?, 'Bench', 'User', 1, ?, ?)`,
            )
            .bind(id, `u_${id}`, now, now),
        ),
      );
    }
    perShard[shard] = ids.length;
  }
  // Their usernames claimed in the directory, as the app's sign-up leaves them.
  await env.DIRECTORY.prepare(
    "INSERT OR IGNORE INTO usernames (username, user_id, claimed_at) SELECT 'u_' || value, value, ? FROM json_each(?)",
  )
    .bind(now, JSON.stringify([...byShard.values()].flat()))
    .run();
  return perShard;
}

async function control(request, url, env) {
  const path = url.pathname.slice("/__bench/".length);
  const param = (name) => url.searchParams.get(name);
  if (path === "config") {
    if (param("shards")) config.shards = Number(param("shards"));
    if (param("writeMs")) config.writeMs = Number(param("writeMs"));
    return Response.json(config);
  }
  const app = envFor(env);
  if (path === "users") {
    return Response.json(
      await insertUsers(app, param("prefix"), Number(param("from")), Number(param("count"))),
    );
  }
  if (path === "rows") {
    const taken = { ...rows };
    Object.assign(rows, { read: 0, written: 0, calls: 0, writes: 0, last: [] });
    return Response.json(taken);
  }
  if (path === "in-flight") return Response.json({ writes: writesInFlight });
  if (path === "shard") return Response.json({ shard: shardOf(app, param("user")) });
  if (path === "sql") {
    const { sql, params = [] } = await request.json();
    const d1 = app[`USERS_${shardOf(app, param("user"))}`];
    try {
      const result = await d1
        .prepare(sql)
        .bind(...params)
        .all();
      return Response.json({
        results: result.results,
        read: result.meta.rows_read,
        written: result.meta.rows_written,
      });
    } catch (error) {
      return Response.json({ error: String(error?.message ?? error) }, { status: 500 });
    }
  }
  return new Response("unknown bench path", { status: 404 });
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) return control(request, url, env);
    return worker.fetch(request, envFor(env), ctx);
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, envFor(env), ctx);
  },
};
