// The Worker `npm run bench:scale` loads: the app (this tree's, or an older commit's when the file
// is copied into that commit's worktree) behind wrapped bindings. Nothing is mocked: every call
// reaches the real local D1 and R2. The wrappers only watch, except the queue producers, which
// hold the messages so that the bench delivers them to the app's own queue handler in batches.
// /__bench/* is answered here, never by the app:
//   GET  /__bench/d1?meterSelects=0|1   D1 calls since the last call ({sql, kind, ms, read, written}), reset
//   POST /__bench/cron?at=&writesTo=&jobs=held  the app's scheduled handler (at: epoch ms), then
//                                       every job it queues, to the end (jobs=held: left for
//                                       /deliver); writesTo: a user row UPDATEd meanwhile
//   POST /__bench/deliver?max=          one batch of held jobs to the app's queue handler
//   POST /__bench/writes?id=&count=     `count` UPDATEs of a user row, one after another: ms waited
//   POST /__bench/sql                   runs {sql, params} through the wrapped binding (all())
//   POST /__bench/r2/put                stores {keys} (small bodies); GET /__bench/r2/count?suffix=
//   GET  /__bench/r2/peak               the most bytes handed to R2 in one put or part, reset

import worker from "../src/index.ts";

let calls = [];
let meterSelects = false;
let r2Peak = 0;
const held = [];
const deadLettered = [];
const MAX_RETRIES = 5; // wrangler.toml's max_retries

const metaOf = (result) => ({ read: result?.meta?.rows_read ?? 0, written: result?.meta?.rows_written ?? 0 });

/** The D1 binding, recording each round trip with its rows read and written (from `meta`). */
function meteredD1(d1) {
  const record = async (kind, sql, send, meterWith) => {
    const startedAt = performance.now();
    const result = await send();
    const ms = performance.now() - startedAt;
    const rows = kind === "batch" ? result.map(metaOf) : [metaOf(result)];
    // raw() and first() drop `meta`: when asked, a SELECT's rows are counted by running it again.
    const extra = meterWith && meterSelects && /^\s*select/i.test(sql) ? metaOf(await meterWith()) : null;
    calls.push({
      kind,
      sql,
      ms,
      read: extra?.read ?? rows.reduce((sum, row) => sum + row.read, 0),
      written: rows.reduce((sum, row) => sum + row.written, 0),
    });
    return result;
  };
  const unwrap = new WeakMap();
  const statement = (real, sql, params = []) => {
    const proxy = new Proxy(real, {
      get(target, property) {
        if (property === "bind") return (...values) => statement(target.bind(...values), sql, values);
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (["all", "run", "raw", "first"].includes(property)) {
          const again = () =>
            d1
              .prepare(sql)
              .bind(...params)
              .all();
          const meterWith = property === "raw" || property === "first" ? again : null;
          return (...args) => record(property, sql, () => value.apply(target, args), meterWith);
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
        return (statements) => {
          const real = statements.map((s) => unwrap.get(s)?.real ?? s);
          const sql = statements.map((s) => unwrap.get(s)?.sql ?? "?").join(";\n");
          return record("batch", sql, () => target.batch(real));
        };
      }
      if (property === "withSession") return (...args) => meteredD1(target.withSession(...args));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** R2, noting the largest body handed over at once (a put's, or a multipart part's). */
function watchedR2(bucket) {
  const size = (body) => (typeof body === "string" ? body.length : (body?.byteLength ?? 0));
  const note = (body) => {
    r2Peak = Math.max(r2Peak, size(body));
    return body;
  };
  const upload = (real) =>
    new Proxy(real, {
      get(target, property) {
        if (property === "uploadPart") return (n, body, ...rest) => target.uploadPart(n, note(body), ...rest);
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(bucket, {
    get(target, property) {
      if (property === "put") return (key, body, ...rest) => target.put(key, note(body), ...rest);
      if (property === "createMultipartUpload")
        return async (...args) => upload(await target.createMultipartUpload(...args));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A queue producer that keeps what is sent (the bench delivers it), and one that drops it. */
const holding = (list) => ({
  send: async (body) => void list?.push({ body, attempts: 1 }),
  sendBatch: async (messages) => void list?.push(...messages.map(({ body }) => ({ body, attempts: 1 }))),
});

// The binding of the users' table: USERS_0 (a shard), or DB in the build before the shards.
const usersD1 = (env) => ("USERS_0" in env ? "USERS_0" : "DB");

let benchEnv;
function wrap(env) {
  benchEnv ??= {
    ...env,
    [usersD1(env)]: meteredD1(env[usersD1(env)]),
    MEDIA: watchedR2(env.MEDIA),
    JOBS: holding(held),
    ACCOUNT_EVENTS: holding(null),
  };
  return benchEnv;
}

/** Runs `handler` with an execution context whose waitUntil work is awaited too. */
async function toTheEnd(handler) {
  const pending = [];
  const ctx = { waitUntil: (promise) => pending.push(promise), passThroughOnException() {} };
  await handler(ctx);
  for (let i = 0; i < pending.length; i += 1) await pending[i];
}

/** One batch of held messages through the app's queue handler, as Queues would deliver it. */
async function deliver(max, env) {
  const taken = held.splice(0, max);
  const outcome = new Map();
  const messages = taken.map((message, index) => ({
    id: String(index),
    timestamp: new Date(),
    body: message.body,
    attempts: message.attempts,
    ack: () => outcome.set(message, "ack"),
    retry: () => outcome.set(message, "retry"),
  }));
  const batch = {
    queue: "profile-api-jobs",
    messages,
    ackAll: () => {
      for (const message of taken) outcome.set(message, "ack");
    },
    retryAll: () => {
      for (const message of taken) outcome.set(message, "retry");
    },
  };
  const failed = await toTheEnd((ctx) => worker.queue(batch, env, ctx)).then(
    () => false,
    () => true,
  );
  for (const message of taken) {
    // Retry delays are not waited for: the bench counts deliveries, not time.
    if ((outcome.get(message) ?? (failed ? "retry" : "ack")) === "ack") continue;
    if (message.attempts > MAX_RETRIES) deadLettered.push(message.body);
    else held.push({ body: message.body, attempts: message.attempts + 1 });
  }
  return { delivered: taken.length, left: held.length, deadLettered: deadLettered.length };
}

async function countObjects(bucket, suffix) {
  let count = 0;
  let cursor;
  do {
    const page = await bucket.list({ limit: 1000, cursor });
    count += page.objects.filter((object) => object.key.endsWith(suffix)).length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return count;
}

/**
 * UPDATEs of one user row on the raw binding, each sent as soon as the last one is done, while
 * `work` runs (and `atLeast` times): each one's wait in ms. Work and writes run in this one request:
 * locally D1 shares workerd's thread, so a request from outside (or a timer) would wait for the
 * thread to poll rather than for D1, while here each write queues in D1 behind the running batch.
 */
async function writesDuring(raw, userId, atLeast, work) {
  const waits = [];
  let working = true;
  const writes = (async () => {
    while (working || waits.length < atLeast) {
      const startedAt = performance.now();
      await raw[usersD1(raw)]
        .prepare("UPDATE users SET updated_at = ? WHERE id = ?")
        .bind(Date.now(), userId)
        .run();
      waits.push(performance.now() - startedAt);
    }
  })();
  const outcome = await work();
  working = false;
  await writes;
  return { ...outcome, waits };
}

/** The cron (at `at`), then every job it queued (and those they queue), batch after batch, unless held. */
async function cronAndJobs(env, at, deliverJobs) {
  const controller = { scheduledTime: at, cron: "*/15 * * * *", noRetry() {} };
  const error = await toTheEnd((ctx) => worker.scheduled(controller, env, ctx)).then(
    () => null,
    (e) => String(e),
  );
  let deliveries = 0;
  while (deliverJobs && held.length > 0) {
    await deliver(10, env);
    deliveries += 1;
  }
  return { error, deliveries, deadLettered: deadLettered.length };
}

async function control(request, url, env, raw) {
  const path = url.pathname.slice("/__bench/".length);
  const number = (name) => Number(url.searchParams.get(name));
  if (path === "d1") {
    const taken = calls;
    calls = [];
    meterSelects = url.searchParams.get("meterSelects") === "1";
    return Response.json(taken);
  }
  if (path === "cron") {
    const work = () => cronAndJobs(env, number("at") || Date.now(), url.searchParams.get("jobs") !== "held");
    const writer = url.searchParams.get("writesTo");
    return Response.json(await (writer ? writesDuring(raw, writer, 0, work) : work()));
  }
  if (path === "deliver") return Response.json(await deliver(number("max") || 10, env));
  if (path === "writes") {
    return Response.json(
      await writesDuring(raw, url.searchParams.get("id"), number("count"), async () => ({})),
    );
  }
  if (path === "sql") {
    const { sql, params = [] } = await request.json();
    const result = await env[usersD1(env)]
      .prepare(sql)
      .bind(...params)
      .all();
    return Response.json({
      results: result.results,
      read: result.meta.rows_read,
      written: result.meta.rows_written,
    });
  }
  if (path === "r2/put") {
    const { keys } = await request.json();
    await Promise.all(keys.map((key) => raw.MEDIA.put(key, `bench object ${key}`)));
    return Response.json({ stored: keys.length });
  }
  if (path === "r2/count")
    return Response.json({ count: await countObjects(raw.MEDIA, url.searchParams.get("suffix")) });
  if (path === "r2/peak") {
    const peak = r2Peak;
    r2Peak = 0;
    return Response.json({ peak });
  }
  return new Response("unknown bench path", { status: 404 });
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) return control(request, url, wrap(env), env);
    return worker.fetch(request, wrap(env), ctx);
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, wrap(env), ctx);
  },
};
