import type { Db } from "../db/client";
import type { UserRow } from "../db/schema";
import type { ClientContext } from "./client-headers";
import type { Language } from "./i18n";

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
