import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { sign } from "hono/jwt";
import { expect } from "vitest";
import { createDb } from "../src/db/client";
import { emails, usernames } from "../src/db/directory-schema";
import { users } from "../src/db/schema";
import worker from "../src/index";
import type { AccountHandle } from "../src/lib/account-handle";
import type { TokenEnv } from "../src/lib/app-env";
import { requireToken } from "../src/lib/auth";
import { clientHeaders } from "../src/lib/client-headers";
import { d1Session } from "../src/lib/d1-session";
import { type Language, type MessageKey, t } from "../src/lib/i18n";
import { newObjectId } from "../src/lib/ids";
import { shardBinding, shardBindings, shardDbOf, shardOf } from "../src/lib/shards";
import { directoryOf, emailHash } from "../src/users/directory";
import { drainJobs, heldJobsQueue } from "./jobs";

/** A Drizzle client on the shard that holds `userId`, as the Worker finds it. */
export const dbOf = (userId: string) => shardDbOf(env, userId);

/** The D1 binding of the shard that holds `userId`. */
export const d1Of = (userId: string) => shardBinding(env, shardOf(env, userId));

/** A Drizzle client on every shard, USERS_0 first: for "nothing left anywhere". */
export const everyShardDb = () => shardBindings(env).map((binding) => createDb(binding));

/** The name of the binding that holds `userId` ("USERS_2"), for overriding it in a request's env. */
export const shardBindingKeyOf = (userId: string) => `USERS_${shardOf(env, userId)}` as const;

/**
 * Env overrides that replace the binding of `userId`'s shard with `wrap(binding)`, for fault
 * injection and counting on the database that user's requests use: `apiWith(path, onShardOf(id, wrap))`.
 */
export function onShardOf(userId: string, wrap: (d1: D1Database) => D1Database): Partial<Env> {
  return { [shardBindingKeyOf(userId)]: wrap(d1Of(userId)) } as Partial<Env>;
}

/** Env overrides that replace every shard's binding with `wrap(binding, shard)`: an outage of all of D1. */
export function onEveryShard(wrap: (d1: D1Database, shard: number) => D1Database): Partial<Env> {
  return Object.fromEntries(
    shardBindings(env).map((binding, shard) => [`USERS_${shard}`, wrap(binding, shard)]),
  ) as Partial<Env>;
}

/** A new user id whose shard in `layout` (the test env unless a test spreads the buckets its own way) is `shard`. */
export function idOnShard(shard: number, layout: Env = env): string {
  for (;;) {
    const id = newObjectId();
    if (shardOf(layout, id) === shard) return id;
  }
}

type NewUser = Partial<typeof users.$inferInsert>;
export type User = typeof users.$inferSelect;

let sequence = 0;

/** A complete user row, unique username and email, with `overrides` on top. */
function completeUser(overrides: NewUser): typeof users.$inferInsert {
  sequence += 1;
  const id = overrides.id ?? newObjectId();
  const now = new Date();
  return {
    id,
    // Not "user_…": the lookalike rule refuses a name made only of reserved words and digits
    // ("user_12345678_5"), which a random id would give now and then.
    username: `u${id.slice(-8)}_${sequence}`,
    name: "Test",
    surname: "User",
    email: `user${sequence}.${id.slice(-6)}@example.com`,
    isRegistrationComplete: true,
    privacyPolicyAccepted: true,
    termsOfUseAccepted: true,
    consentFormAccepted: true,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** `rows` in slices whose multi-row INSERT stays under D1's 100 bound parameters a statement. */
function slices<T>(rows: T[], paramsPerRow: number): T[][] {
  const size = Math.max(1, Math.floor(100 / paramsPerRow));
  return Array.from({ length: Math.ceil(rows.length / size) }, (_, index) =>
    rows.slice(index * size, (index + 1) * size),
  );
}

/** What registration leaves in the directory: each user's username and email, claimed and applied. */
async function registerInDirectory(registered: User[]) {
  const directory = directoryOf(env);
  const claimedAt = new Date();
  const names = registered.flatMap(({ id, username }) =>
    username ? [{ username, userId: id, claimedAt }] : [],
  );
  const hashes = await Promise.all(
    registered.flatMap(({ id, email }) =>
      email ? [emailHash(env, email).then((hash) => ({ emailHash: hash, userId: id, claimedAt }))] : [],
    ),
  );
  const inserts = [
    ...slices(names, 3).map((slice) => directory.insert(usernames).values(slice)),
    ...slices(hashes, 3).map((slice) => directory.insert(emails).values(slice)),
  ];
  const [head, ...rest] = inserts;
  if (head) await directory.batch([head, ...rest]);
}

/**
 * Creates complete users as registration leaves them (the test's one way to make users): each
 * row on its shard in `layout` (the test env unless a test spreads or pins the buckets its own
 * way), its username and email claimed in the directory. One batch a shard; the stored rows come
 * back in the order asked.
 */
export async function createUsers(overrides: NewUser[], layout: Env = env): Promise<User[]> {
  const rows = overrides.map(completeUser);
  const stored = new Map<string, User>();
  for (const shardRows of Map.groupBy(rows, (row) => shardOf(layout, row.id)).values()) {
    const db = shardDbOf(layout, shardRows[0]?.id ?? "");
    const paramsPerRow = db.insert(users).values(shardRows.slice(0, 1)).toSQL().params.length;
    const [head, ...rest] = slices(shardRows, paramsPerRow).map((slice) =>
      db.insert(users).values(slice).returning(),
    );
    if (!head) continue;
    for (const inserted of await db.batch([head, ...rest])) {
      for (const row of inserted) stored.set(row.id, row);
    }
  }
  const created = rows.flatMap((row) => stored.get(row.id) ?? []);
  if (created.length !== rows.length) throw new Error("user not inserted");
  await registerInDirectory(created);
  return created;
}

/** One user, as `createUsers` makes them. */
export async function createUser(overrides: NewUser = {}, layout: Env = env): Promise<User> {
  const [user] = await createUsers([overrides], layout);
  if (!user) throw new Error("user not inserted");
  return user;
}

/** An HS256 token for `sub`, valid for an hour unless `claims` says otherwise. */
export function tokenFor(sub: string, claims: Record<string, unknown> = {}, secret = env.JWT_SECRET) {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub, iat: now, exp: now + 3600, ...claims }, secret, "HS256");
}

/**
 * The handle a route gets for this user's token, from the authentication middleware itself (the
 * only maker of handles): for tests that call a write service directly.
 */
export async function accountHandleOf(userId: string): Promise<AccountHandle> {
  let handle: AccountHandle | undefined;
  const app = new Hono<TokenEnv>().get("/", clientHeaders, d1Session, requireToken(), (c) => {
    handle = c.get("account");
    return c.body(null, 204);
  });
  await app.request("/", { headers: { authorization: `Bearer ${await tokenFor(userId)}` } }, env);
  if (!handle) throw new Error(`no account handle for ${userId}`);
  return handle;
}

/**
 * A catalog message (src/lib/i18n.ts) as a client reads it, `{name}` placeholders filled from
 * `params`: tests assert messages through this, and pin the contract's exact wording only on purpose.
 */
export const messageOf = (
  key: MessageKey,
  language: Language = "en",
  params?: Record<string, string | number>,
) => t(language, key, params);

/** The response envelope, as a client reads it. */
export type Envelope<T = unknown> = {
  isSuccess: boolean;
  statusCode: number;
  data: T;
  errors: string[];
  timestamp: string;
};

/** Dates in `data` and the envelope's timestamp: ISO 8601 UTC with milliseconds. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type ApiInit = RequestInit & { token?: string; json?: unknown };

/** A client's request: `token` becomes the bearer header, `json` the body. */
function clientRequest(path: string, init: ApiInit): Request {
  const { token, json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  return new Request(`http://localhost${path}`, {
    ...rest,
    headers,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
}

/**
 * Calls the Worker as a client would, and waits for the work it left in waitUntil (the replaced
 * photo's objects, the account events), so a test sees the state after it.
 */
export async function api(path: string, init: ApiInit = {}) {
  return apiWith(path, {}, init);
}

/**
 * Calls the Worker's own fetch with `overrides` on top of the test env (a wrapped binding, a
 * setting), and waits for the work it left in waitUntil and on the jobs queue (test/jobs.ts). `onResponse` runs when the response is
 * out, before that work: what the client waited for.
 */
export async function apiWith(
  path: string,
  overrides: Partial<Env>,
  init: ApiInit = {},
  onResponse?: (response: Response) => void,
) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    clientRequest(path, init),
    { ...env, JOBS: heldJobsQueue, ...overrides },
    ctx,
  );
  onResponse?.(response);
  await waitOnExecutionContext(ctx);
  // The jobs it queued too (a data export's build, a long drain), with the same bindings.
  await drainJobs(overrides);
  return response;
}

async function parsed<T>(response: Response) {
  return { response, status: response.status, body: (await response.json()) as Envelope<T> };
}

/** `api` and the parsed envelope. */
export async function call<T = unknown>(path: string, init: ApiInit = {}) {
  return parsed<T>(await api(path, init));
}

/** `apiWith` and the parsed envelope. */
export async function callWith<T = unknown>(path: string, overrides: Partial<Env>, init: ApiInit = {}) {
  return parsed<T>(await apiWith(path, overrides, init));
}

/** The contract's user object, field for field, in the seed's order. */
export const USER_FIELDS = [
  "_id",
  "name",
  "surname",
  "username",
  "availabilityStatus",
  "countryCode",
  "phoneNumber",
  "gender",
  "birthDate",
  "interests",
  "expertise",
  "privacyPolicyAccepted",
  "privacyPolicyVersion",
  "termsOfUseAccepted",
  "termsOfUseVersion",
  "consentFormAccepted",
  "consentFormVersion",
  "isRegistrationComplete",
  "roles",
  "profilePhoto",
  "lastLogin",
  "createdAt",
  "updatedAt",
  "email",
  "bio",
  "instagram",
  "tiktok",
  "x",
  "snapchat",
  "facebook",
  "accountDeletionStatus",
  "accountDeletionRequestedAt",
  "accountDeletionScheduledFor",
  "accountDeletionCancelledAt",
  "accountDeletionFinalizedAt",
  "deletedAt",
] as const;

type UserWithPhoto = {
  profilePhoto: {
    _id: string;
    url: string;
    type: "image";
    variants: Record<"96" | "256" | "512", string>;
  } | null;
};

/** Uploads a photo as a client would (must succeed); returns it with its URL's path and R2 key (the 512 px variant). */
export async function uploadPhoto(token: string, bytes: Uint8Array, type: string) {
  const form = new FormData();
  form.append("file", new File([bytes], "photo", { type }));
  const { status, body } = await call<UserWithPhoto>("/api/v1/users/profile/photo", {
    method: "PATCH",
    token,
    body: form,
  });
  expect(status).toBe(200);
  const photo = body.data.profilePhoto;
  if (!photo) throw new Error("no photo after upload");
  const path = new URL(photo.url).pathname;
  return { photo, path, key: path.replace(/^\/media\//, "") };
}
