import { drizzle } from "drizzle-orm/d1";

/** The request's Drizzle client. No relational schema: queries are written with the query builder. */
export function createDb(d1: D1Database) {
  return drizzle(d1);
}

export type Db = ReturnType<typeof createDb>;
