// The Worker `npm run bench` loads: the app, and the floors, behind D1 bindings (every shard and the
// directory) that simulate the network. Every D1 round trip (test/d1-observer.ts decides what one is) waits first: the
// replica delay on a session that may start at a replica (a GET's), the primary delay otherwise.
// Built by `wrangler deploy --dry-run` with this file as the entry, so the app is bundled exactly
// as deployed. /__bench/* is answered here, never by the app:
//   POST /__bench/config?replicaMs=&primaryMs=  sets the delays (0 and 0 at start)
//   GET  /__bench/d1                            round trips since the last call, then resets them
//   GET  /__bench/floor/read?id=                one raw SELECT of a user row at a replica
//   PUT  /__bench/floor/write?id=               one raw UPDATE … RETURNING of it on the primary

import worker from "../src/index.ts";
import { shardBinding, shardOf } from "../src/lib/shards.ts";
import { observeD1, watchD1 } from "../test/d1-observer.ts";

const delays = { replica: 0, primary: 0 };
const counters = [];
let edgeEnv;

const wait = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined);
const isD1 = (name) => /^USERS_\d+$/.test(name) || name === "DIRECTORY";

/** The env the app sees: each D1 binding counted, then delayed. One per isolate, like the bindings. */
function edge(env) {
  if (!edgeEnv) {
    const wrapped = Object.keys(env)
      .filter(isD1)
      .map((name) => {
        const counter = watchD1(env[name]);
        counters.push(counter);
        return [name, observeD1(counter.d1, ({ target }) => wait(delays[target]))];
      });
    edgeEnv = { ...env, ...Object.fromEntries(wrapped) };
  }
  return edgeEnv;
}

async function floor(kind, url, env) {
  const id = url.searchParams.get("id");
  const db = shardBinding(env, shardOf(env, id));
  if (kind === "read") {
    const session = db.withSession("first-unconstrained");
    return Response.json(await session.prepare("SELECT * FROM users WHERE id = ?").bind(id).first());
  }
  const session = db.withSession("first-primary");
  const row = await session
    .prepare("UPDATE users SET updated_at = ? WHERE id = ? RETURNING *")
    .bind(Date.now(), id)
    .first();
  return Response.json(row);
}

function control(url, env) {
  const path = url.pathname.slice("/__bench/".length);
  if (path === "config") {
    delays.replica = Number(url.searchParams.get("replicaMs") ?? 0);
    delays.primary = Number(url.searchParams.get("primaryMs") ?? 0);
    return Response.json(delays);
  }
  if (path === "d1") {
    const counts = { primary: 0, replica: 0 };
    for (const { counts: each, reset } of counters) {
      counts.primary += each.primary;
      counts.replica += each.replica;
      reset();
    }
    return Response.json(counts);
  }
  if (path === "floor/read" || path === "floor/write") return floor(path.slice(6), url, env);
  return new Response("unknown bench path", { status: 404 });
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) return control(url, edge(env));
    return worker.fetch(request, edge(env), ctx);
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, edge(env), ctx);
  },
  // The jobs the cron queues (finalizations) reach the app through the same bindings.
  queue(batch, env, ctx) {
    return worker.queue(batch, edge(env), ctx);
  },
};
