import { and, eq, isNull, ne, or, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AsymmetricAlgorithm } from "hono/utils/jwt/jwa";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import { decodeHeader, type VerifyOptionsWithAlg, verify, verifyWithJwks } from "hono/utils/jwt/jwt";
import {
  JwtPayloadRequiresAud,
  JwtTokenAudience,
  JwtTokenIssuer,
  JwtTokenSignatureMismatched,
} from "hono/utils/jwt/types";
import * as z from "zod";
import type { Db } from "../db/client";
import { type UserRow, users } from "../db/schema";
import type { AccountCondition, AccountHandle } from "./account-handle";
import type { ApiEnv, AuthedEnv, TokenEnv } from "./app-env";
import { once } from "./deferred-schema";
import { ApiError, type AuthFailure, authenticationError } from "./errors";
import { OBJECT_ID_PATTERN } from "./ids";
import { errorFields, log } from "./log";
import { clientIp, enforceLimit, type LimiterName } from "./rate-limit";
import { tokenSettings } from "./settings";

// Clocks of token issuers and edge locations differ by a little; more than this is an error.
const CLOCK_LEEWAY_SECONDS = 30;
const JWKS_TTL_MS = 10 * 60 * 1000;
// Rotation and outages of the issuer's key set (see jwksKeys).
const JWKS_REFETCH_INTERVAL_MS = 60 * 1000;
const JWKS_FAILURE_TTL_MS = 30 * 1000;
const JWKS_STALE_GRACE_MS = 60 * 60 * 1000;
const JWKS_TIMEOUT_MS = 5 * 1000;

const claimsSchema = z.object({
  sub: z.string().regex(OBJECT_ID_PATTERN),
  exp: z.number().finite(),
  nbf: z.number().finite().optional(),
  iat: z.number().finite().optional(),
});
export type TokenClaims = z.infer<typeof claimsSchema>;

// Importing the HMAC key is a WebCrypto call per request otherwise; the secret changes only with
// a deployment, so one import per isolate.
const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    hmacKeys.set(secret, key);
  }
  return key;
}

// Built by the first key set fetched: an HS256 deployment never needs it.
const jwksSchema = once(() => z.object({ keys: z.array(z.looseObject({ kty: z.string() })) }));

type KeySet = { keys: HonoJsonWebKey[]; fetchedAt: number };
type KeySetState = { keySet?: KeySet; attemptedAt?: number; failedAt?: number; pending?: Promise<KeySet> };
const keySets = new Map<string, KeySetState>();

async function fetchKeySet(url: string): Promise<KeySet> {
  const response = await fetch(url, {
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`JWKS fetch failed with status ${response.status}`);
  const body = jwksSchema().parse(await response.json());
  return { keys: body.keys as HonoJsonWebKey[], fetchedAt: Date.now() };
}

/**
 * The issuer's keys, cached per isolate. Rotation: a `kid` missing from the cached set fetches
 * the set again, at most once a minute (a flood of made-up kids costs one fetch a minute). An
 * outage: a failed fetch is not retried for JWKS_FAILURE_TTL_MS, and the last good set stays in
 * use for a while, so an issuer outage is no outage here. Without any good set, the failure is
 * ours, not the client's: a 500, never a 401.
 */
async function jwksKeys(url: string, kid: string | undefined): Promise<HonoJsonWebKey[]> {
  const state = keySets.get(url) ?? {};
  keySets.set(url, state);
  const now = Date.now();
  const { keySet } = state;
  const age = keySet ? now - keySet.fetchedAt : Number.POSITIVE_INFINITY;
  const knowsKid = kid === undefined || keySet?.keys.some((key) => key.kid === kid);
  const recentlyAttempted =
    state.attemptedAt !== undefined && now - state.attemptedAt < JWKS_REFETCH_INTERVAL_MS;
  if (keySet && age < JWKS_TTL_MS && (knowsKid || recentlyAttempted)) return keySet.keys;
  const usable = keySet && age < JWKS_TTL_MS + JWKS_STALE_GRACE_MS ? keySet : undefined;
  if (state.failedAt !== undefined && now - state.failedAt < JWKS_FAILURE_TTL_MS) {
    if (usable) return usable.keys;
    throw new Error("JWKS endpoint failed moments ago; not fetched again yet");
  }
  if (!state.pending) {
    state.attemptedAt = now;
    state.pending = fetchKeySet(url).finally(() => {
      state.pending = undefined;
    });
  }
  return state.pending.then(
    (fetched) => {
      state.keySet = fetched;
      state.failedAt = undefined;
      return fetched.keys;
    },
    (error: unknown) => {
      state.failedAt = Date.now();
      if (!usable) throw error;
      log("warn", "JWKS fetch failed; using the cached key set", errorFields(error));
      return usable.keys;
    },
  );
}

// A header that cannot be read names no key; verification then refuses the token (401).
const headerKid = (token: string): Promise<string | undefined> =>
  Promise.resolve(token)
    .then(decodeHeader)
    .then(
      (header) => header.kid,
      () => undefined,
    );

/** Why hono's verification refused a token. */
function verificationFailure(error: unknown): AuthFailure {
  if (error instanceof JwtTokenSignatureMismatched) return "signature";
  const claims = [JwtTokenIssuer, JwtTokenAudience, JwtPayloadRequiresAud];
  if (claims.some((type) => error instanceof type)) return "claims";
  return "malformed";
}

/**
 * Verifies a bearer token against the configured algorithm (never the token's own `alg`) and
 * returns its claims. Every way a token can be wrong is a 401 that says which.
 */
export async function verifyAccessToken(authorization: string | undefined, env: Env): Promise<TokenClaims> {
  // The scheme is case-insensitive (RFC 9110); another scheme is no bearer token at all.
  const credentials = /^Bearer(?: (.*))?$/i.exec(authorization?.trim() ?? "")?.[1];
  if (credentials === undefined || credentials === "") throw authenticationError("missing");
  // Three base64url parts.
  const token = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.exec(credentials)?.[0];
  if (!token) throw authenticationError("malformed");
  const { algorithm, jwksUrl, secret, JWT_ISSUER, JWT_AUDIENCE } = tokenSettings(env);
  // Time claims are checked below, with leeway; hono's own checks allow none and skip a missing exp.
  const options: VerifyOptionsWithAlg = {
    alg: algorithm,
    exp: false,
    nbf: false,
    iat: false,
    ...(JWT_ISSUER ? { iss: JWT_ISSUER } : {}),
    ...(JWT_AUDIENCE ? { aud: JWT_AUDIENCE } : {}),
  };
  const kid = jwksUrl ? await headerKid(token) : undefined;
  const keys = jwksUrl ? await jwksKeys(jwksUrl, kid) : null;
  // A kid the issuer's key set does not have: signed by a key we do not trust.
  if (keys && kid !== undefined && !keys.some((key) => key.kid === kid))
    throw authenticationError("signature");
  const payload = await (keys
    ? verifyWithJwks(token, {
        keys,
        allowedAlgorithms: [algorithm as AsymmetricAlgorithm],
        verification: options,
      })
    : verify(token, await hmacKey(secret), options)
  ).catch((error: unknown) => {
    throw authenticationError(verificationFailure(error), error);
  });

  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw authenticationError("malformed");
  const now = Date.now() / 1000;
  const { exp, nbf, iat } = claims.data;
  if (exp <= now - CLOCK_LEEWAY_SECONDS) throw authenticationError("expired");
  if (nbf !== undefined && nbf > now + CLOCK_LEEWAY_SECONDS) throw authenticationError("notYetValid");
  if (iat !== undefined && iat > now + CLOCK_LEEWAY_SECONDS) throw authenticationError("notYetValid");
  return claims.data;
}

/** The account a token may act for: it exists and is not finalized. */
export const activeAccount = (userId: string) =>
  and(
    eq(users.id, userId),
    or(isNull(users.accountDeletionStatus), ne(users.accountDeletionStatus, "finalized")),
  );

/** The handle of the account a verified token names; made here and nowhere else. */
function accountHandle(id: string): AccountHandle {
  const row = (...more: (SQL | undefined)[]) => and(activeAccount(id), ...more) as AccountCondition;
  return { id, row } as AccountHandle;
}

async function loadActiveUser(db: Db, userId: string): Promise<UserRow> {
  const [user] = await db.select().from(users).where(activeAccount(userId)).limit(1);
  if (!user) throw authenticationError("account");
  return user;
}

/** A refused authentication: counted against the client IP (429 past the limit), then 401. */
async function refuseAuthentication(c: Context, error: unknown): Promise<never> {
  if (error instanceof ApiError && error.status === 401) {
    await enforceLimit(c.env, "AUTH_FAILURE_LIMITER", clientIp(c));
  }
  throw error;
}

/**
 * Before a `requireToken` route refuses its input (400): a token of a missing or finalized
 * account is a 401 first, as behind `requireUser`. An error path, so one more round trip.
 */
export async function confirmAccount<E extends ApiEnv>(c: Context<E>): Promise<void> {
  const account: AccountHandle | undefined = c.get("account");
  if (account === undefined || c.get("user")) return;
  const db = c.get("shards").forUser(account.id);
  const [row] = await db.select({ id: users.id }).from(users).where(account.row()).limit(1);
  if (!row) throw authenticationError("account");
}

/**
 * Authenticates the request and loads its user; a missing or finalized account is a 401. The
 * user's rate limits (keyed by the token's user id) are counted while the user row loads, so
 * they add no round trip. A client IP that keeps failing authentication gets 429 instead.
 */
export function requireUser(limiters: readonly LimiterName[] = []) {
  return createMiddleware<AuthedEnv>(async (c, next) => {
    const authenticate = async () => {
      const { sub } = await verifyAccessToken(c.req.header("authorization"), c.env);
      c.set("db", c.get("shards").forUser(sub));
      const [user] = await Promise.all([
        loadActiveUser(c.get("db"), sub),
        ...limiters.map((limiter) => enforceLimit(c.env, limiter, sub)),
      ]);
      return user;
    };
    const user = await authenticate().catch((error: unknown) => refuseAuthentication(c, error));
    c.set("account", accountHandle(user.id));
    c.set("user", user);
    await next();
  });
}

/**
 * Verifies the token and counts the user's rate limits, without loading the user: the route's
 * own statement checks the account, so the request costs one D1 round trip, not two: the
 * route gets the account's handle, whose `row()` is the only way to name the account in a
 * statement, and answers 401 when it finds no account; that 401 is counted here like any
 * refused authentication.
 */
export function requireToken(limiters: readonly LimiterName[] = []) {
  return createMiddleware<TokenEnv>(async (c, next) => {
    const authenticate = async () => {
      const { sub } = await verifyAccessToken(c.req.header("authorization"), c.env);
      c.set("db", c.get("shards").forUser(sub));
      await Promise.all(limiters.map((limiter) => enforceLimit(c.env, limiter, sub)));
      return sub;
    };
    const userId = await authenticate().catch((error: unknown) => refuseAuthentication(c, error));
    c.set("account", accountHandle(userId));
    await next();
    // The route's statement found no active account (hono's onError already rendered it).
    if (c.error instanceof ApiError && c.error.status === 401) await refuseAuthentication(c, c.error);
  });
}

/** Allows the request only for accounts whose roles (from the database) include `role`. */
export function requireRole(role: "admin") {
  return createMiddleware<AuthedEnv>(async (c, next) => {
    if (!c.get("user").roles.includes(role))
      throw new ApiError(403, [{ key: "auth.roleRequired", params: { role } }]);
    await next();
  });
}
