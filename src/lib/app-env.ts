import type { Db } from "../db/client";
import type { UserRow } from "../db/schema";
import type { ClientContext } from "./client-headers";
import type { Language } from "./i18n";

// Read variables with c.get(name): hono's c.var builds a fresh object from all of them on every
// access, which showed in request profiles (npm run bench:profile).
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    language: Language;
    client: ClientContext;
    db: Db;
    /** Set by `requireUser` on authenticated routes. */
    user: UserRow;
  };
};
