import type { Db } from "../db/client";
import type { UserRow } from "../db/schema";
import type { AccountHandle } from "./account-handle";
import type { ClientContext } from "./client-headers";
import type { RequestShards } from "./d1-session";
import type { Language } from "./i18n";

// Read variables with c.get(name): hono's c.var builds a fresh object from all of them on every
// access, which showed in request profiles (npm run bench:profile).

/** Set on every request, before any route runs (request id, Accept-Language). */
type AlwaysSet = { requestId: string; language: Language };
/** Set for /api/* by the client-headers and D1-session middleware. */
type ApiVariables = { client: ClientContext; shards: RequestShards };
/** Set by the authentication middleware: the request's session on the account's own shard. */
type AccountDb = { db: Db };

/** The whole app: outside /api (docs, media) the API's variables are not set. */
export type AppEnv = {
  Bindings: Env;
  Variables: AlwaysSet & Partial<ApiVariables & AccountDb> & { account?: AccountHandle; user?: UserRow };
};

/** A router mounted under /api/v1. */
export type ApiEnv = {
  Bindings: Env;
  Variables: AlwaysSet & ApiVariables & Partial<AccountDb> & { account?: AccountHandle; user?: UserRow };
};

/**
 * A route behind `requireToken`: the token is valid, and the route's own statement checks the
 * account (it exists, is not finalized) in the same round trip as its work: the handle's `row()`
 * is the only way to name the account in a statement, so the check cannot be left out.
 */
export type TokenEnv = {
  Bindings: Env;
  Variables: AlwaysSet & ApiVariables & AccountDb & { account: AccountHandle; user?: UserRow };
};

/** A route behind `requireUser`: the only place `c.get("user")` is a user. */
export type AuthedEnv = {
  Bindings: Env;
  Variables: AlwaysSet & ApiVariables & AccountDb & { account: AccountHandle; user: UserRow };
};
