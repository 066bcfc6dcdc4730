import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, expect, type MockInstance, vi } from "vitest";
import { shardBindings } from "../../src/lib/shards";
import { apiWith, d1Of, type Envelope, ISO_UTC } from "../helpers";

// Shared by the fuzz files: how many runs, how to send a request and count it, the envelope
// check, and the snapshot that shows a refused request changed nothing.

// --- Run counts

// Vite's mode is the one switch that reaches tests inside workerd (`process.env` there holds the
// Worker's bindings) and that vitest's module cache keys on: VITE_* variables would be baked into
// cached transforms and silently reused by later runs, so they are not used.
const MODE = (import.meta as unknown as { env: { MODE?: string } }).env.MODE ?? "test";
const FUZZ_MODE = /^fuzz(?:-(\d+))?(?:\s|$)/.exec(MODE);

/**
 * Runs per property are a base count times this scale: 1 for `npm test`, 10 for
 * `npm run test:fuzz` (`vitest run --mode fuzz`), n for `--mode fuzz-<n>` (a longer soak).
 */
export const FUZZ_SCALE = FUZZ_MODE ? Number(FUZZ_MODE[1]) || 10 : 1;

/** Measured: 5 to 50 ms a run on a busy 2-core machine; the margin is for slower ones and for shrinking. */
const MS_PER_RUN = 250;

export const runsFor = (baseRuns: number) => Math.max(1, Math.round(baseRuns * FUZZ_SCALE));

/** The vitest timeout of a property with `baseRuns` runs at the current scale. */
export const timeoutFor = (baseRuns: number) => 60_000 + runsFor(baseRuns) * MS_PER_RUN;

/**
 * fast-check's parameters. A failure prints its seed and path; replay it with
 * `npx vitest run --mode "fuzz-1 seed=<seed> path=<path>" test/fuzz/<file> -t "<test name>"`.
 * Runs stop (as a failure, with the counterexample found so far) shortly before vitest's timeout,
 * so a long shrink still reports its seed instead of a bare timeout.
 */
export function fuzzParameters<T>(baseRuns: number): fc.Parameters<T> {
  const seed = /(?:^|\s)seed=(-?\d+)/.exec(MODE)?.[1];
  const path = /(?:^|\s)path=([\d:]+)/.exec(MODE)?.[1];
  return {
    numRuns: runsFor(baseRuns),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
    plugins: [
      fc.interruptAfterTimeLimit(timeoutFor(baseRuns) - 20_000, { failOnInterrupt: true }) as fc.Plugin<T>,
    ],
  };
}

// --- Sending requests

export type FuzzRequest = {
  method?: string;
  /** Path and query, appended to http://localhost. */
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
};

export type Answer = {
  request: FuzzRequest & { method: string };
  status: number;
  headers: Headers;
  text: string;
};

/** `METHOD path -> status body`, short enough for an assertion message. */
export function describeAnswer(answer: Answer): string {
  const { method, path } = answer.request;
  const shortPath = path.length > 200 ? `${path.slice(0, 200)}...` : path;
  return `${method} ${shortPath} -> ${answer.status} ${answer.text.slice(0, 400)}`;
}

const REQUEST_LOG_LINE = '{"level":"info","message":"request"';

/**
 * The fuzz file's client. It counts requests and statuses and prints one line at the end
 * (`fuzz: profile 214 requests (200: 30, 400: 170, ...)`), and keeps the Worker's info-level
 * request log lines out of the output (thousands of them); warnings and errors still show.
 */
export function fuzzClient(name: string) {
  let requests = 0;
  const statuses = new Map<number, number>();
  let logSpy: MockInstance<typeof console.log> | undefined;

  beforeAll(() => {
    const original = console.log.bind(console);
    logSpy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith(REQUEST_LOG_LINE)) return;
      original(...args);
    });
  });
  afterAll(() => {
    logSpy?.mockRestore();
    const counts = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
    console.info(`fuzz: ${name} ${requests} requests (${counts.join(", ")}) at scale ${FUZZ_SCALE}`);
  });

  return {
    async send(request: FuzzRequest): Promise<Answer> {
      const method = request.method ?? "GET";
      requests += 1;
      // Waits for the work a request leaves in waitUntil, so the next request starts from its end state.
      const response = await apiWith(
        request.path,
        {},
        { method, headers: request.headers, body: request.body },
      );
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return {
        request: { ...request, method },
        status: response.status,
        headers: response.headers,
        text: await response.text(),
      };
    },
  };
}

export type FuzzClient = ReturnType<typeof fuzzClient>;

// --- The envelope

export const GENERIC_MESSAGES: Record<"en" | "tr", Record<number, string>> = {
  en: {
    400: "Validation failed",
    401: "Authentication required",
    403: "Insufficient permissions",
    404: "Resource not found",
    405: "Method not allowed",
    409: "Resource already exists or cannot be changed in its current state",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
  },
  tr: {
    400: "Doğrulama başarısız",
    401: "Kimlik doğrulaması gerekli",
    403: "Yetersiz yetki",
    404: "Kaynak bulunamadı",
    405: "Yönteme izin verilmiyor",
    409: "Kaynak zaten mevcut veya mevcut durumunda değiştirilemez",
    413: "İstek gövdesi çok büyük",
    415: "Desteklenmeyen medya türü",
    429: "Çok fazla istek",
    500: "Sunucu hatası",
  },
};

const ENVELOPE_KEYS = ["data", "errors", "isSuccess", "statusCode", "timestamp"];

export type { Envelope };

/** The path as the router matches it: percent-escapes decoded as `decodeURI` does (`/op%65napi.json` is /openapi.json). */
function routedPath(path: string): string {
  const { pathname } = new URL(`http://localhost${path}`);
  return pathname.replace(/(?:%[0-9a-f]{2})+/gi, (escapes) => {
    try {
      return decodeURI(escapes);
    } catch {
      return escapes;
    }
  });
}

/**
 * Answers that are not envelopes by design: 304 (no body), HEAD (no body), the CORS preflight
 * (204, no body), and the non-API routes' successes (/docs, /openapi.json, /media).
 */
function exemptFromEnvelope(answer: Answer): boolean {
  const pathname = routedPath(answer.request.path);
  if (answer.status === 304 || answer.request.method === "HEAD") return true;
  const api = pathname === "/api" || pathname.startsWith("/api/");
  if (answer.request.method === "OPTIONS" && answer.status === 204 && api && answer.text === "") return true;
  return (
    answer.status === 200 &&
    (pathname === "/docs" || pathname === "/openapi.json" || pathname.startsWith("/media/"))
  );
}

/**
 * Never a 5xx; every other answer is the envelope: isSuccess matching the status class,
 * statusCode equal to the HTTP status, data null and errors[0] the status's generic message
 * (in the Content-Language) on errors, errors [] on success, an ISO timestamp.
 * Returns the parsed envelope (null for the exempt answers).
 */
export function expectEnvelope(answer: Answer): Envelope | null {
  const context = describeAnswer(answer);
  expect(answer.status, `5xx: ${context}`).toBeLessThan(500);
  if (exemptFromEnvelope(answer)) return null;

  expect(answer.headers.get("content-type") ?? "", context).toMatch(/^application\/json/);
  let body: Envelope;
  try {
    body = JSON.parse(answer.text) as Envelope;
  } catch {
    throw new Error(`not JSON: ${context}`);
  }
  expect(Object.keys(body).sort(), context).toEqual(ENVELOPE_KEYS);
  const ok = answer.status >= 200 && answer.status < 300;
  expect(body.isSuccess, context).toBe(ok);
  expect(body.statusCode, context).toBe(answer.status);
  expect(body.timestamp, context).toMatch(ISO_UTC);
  expect(Math.abs(Date.parse(body.timestamp) - Date.now()), context).toBeLessThan(5 * 60_000);
  expect(Array.isArray(body.errors) && body.errors.every((error) => typeof error === "string"), context).toBe(
    true,
  );
  if (ok) {
    expect(body.errors, context).toEqual([]);
  } else {
    const language = answer.headers.get("content-language");
    expect(language ?? "", context).toMatch(/^(en|tr)$/);
    expect(body.data, context).toBeNull();
    const generic = GENERIC_MESSAGES[language as "en" | "tr"][answer.status];
    expect(generic, `a status outside the contract's table: ${context}`).toBeDefined();
    expect(body.errors[0], context).toBe(generic);
    if (answer.status === 405)
      expect(answer.headers.get("allow") ?? "", context).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
  }
  return body;
}

// --- Nothing changed

/**
 * The user's row, counters and audit events (one D1 batch on the user's shard), the whole media
 * outbox of every shard, and the user's R2 objects.
 */
export async function snapshot(userId: string) {
  const home = d1Of(userId);
  const [batch, outboxes, listed] = await Promise.all([
    home.batch([
      home.prepare("SELECT * FROM users WHERE id = ?").bind(userId),
      home.prepare("SELECT * FROM user_counters WHERE user_id = ?").bind(userId),
      home.prepare("SELECT * FROM account_events WHERE user_id = ? ORDER BY id").bind(userId),
    ]),
    Promise.all(
      shardBindings(env).map((shard) => shard.prepare("SELECT * FROM media_outbox ORDER BY key").all()),
    ),
    env.MEDIA.list({ prefix: `profile-photos/${userId}/` }),
  ]);
  const [user = [], counters = [], events = []] = batch.map(
    (result) => result.results as Record<string, unknown>[],
  );
  const outbox = outboxes.flatMap((result) => result.results as Record<string, unknown>[]);
  const objects = listed.objects.map((object) => `${object.key} ${object.etag}`).sort();
  return { user, counters, events, outbox, objects };
}

export type Snapshot = Awaited<ReturnType<typeof snapshot>>;

// The state after the last checked request of each user: the next request's "before", which
// saves a snapshot a run. Test code that changes a user's data directly calls `forget`.
const lastSeen = new Map<string, Snapshot>();

/** Forgets the user's last snapshot; call it after changing the user's data outside a request. */
export function forget(userId?: string): void {
  if (userId === undefined) lastSeen.clear();
  else lastSeen.delete(userId);
}

/** Every feature flag stored in KV, with its value. */
export async function flagsSnapshot(): Promise<Record<string, string | null>> {
  const { keys } = await env.FLAGS.list();
  const entries = await Promise.all(keys.map(async ({ name }) => [name, await env.FLAGS.get(name)] as const));
  return Object.fromEntries(entries);
}

export const isRefused = (answer: Answer) => answer.status >= 400;

/**
 * Sends the request with the user's state around it: never a 5xx, always the envelope, and a
 * refused request (4xx) leaves the user's rows, the outbox and the user's R2 objects as they were.
 */
export async function sendChecked(client: FuzzClient, userId: string, request: FuzzRequest) {
  const before = lastSeen.get(userId) ?? (await snapshot(userId));
  lastSeen.delete(userId);
  const answer = await client.send(request);
  const body = expectEnvelope(answer);
  const after = await snapshot(userId);
  if (isRefused(answer))
    expect(after, `a refused request changed data: ${describeAnswer(answer)}`).toEqual(before);
  lastSeen.set(userId, after);
  return { answer, body, before, after };
}

/** The request headers for a body: its content type, if any, and the token, if any. */
export function headersFor(options: {
  token?: string | null;
  contentType?: string | null;
  extra?: Record<string, string>;
}) {
  const headers: Record<string, string> = { ...options.extra };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.contentType !== null && options.contentType !== undefined)
    headers["content-type"] = options.contentType;
  return headers;
}

/** A fuzzed body as request options: bytes (so no implicit text/plain) and its content type. */
export function requestBody(body: { contentType: string | null; body: string | Uint8Array }) {
  return {
    contentType: body.contentType,
    body: typeof body.body === "string" ? new TextEncoder().encode(body.body) : body.body,
  };
}
