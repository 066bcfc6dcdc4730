import { drizzle } from "drizzle-orm/d1";

/**
 * The request's Drizzle client over a D1 session. Drizzle only calls `prepare` and `batch`,
 * which a session has like the database itself. No relational schema: queries use the builder.
 */
export function createDb(d1: D1Database | D1DatabaseSession) {
  return drizzle(d1 as D1Database);
}

export type Db = ReturnType<typeof createDb>;
