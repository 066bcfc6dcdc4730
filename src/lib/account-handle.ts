import type { SQL } from "drizzle-orm";

// Types only: the one maker of these values is the authentication middleware (src/lib/auth.ts),
// and lint/account-writes.grit refuses a cast to them anywhere else.
declare const authenticated: unique symbol;

/**
 * A condition on `users` that selects the authenticated account's row while the account exists
 * and is not finalized, and whatever else the caller added. Every write of a user's row takes
 * one (`updateAccount`), so a write that forgets the account check does not type-check.
 */
export type AccountCondition = SQL & { readonly [authenticated]: "row" };

/**
 * The account a verified token acts for, as routes see it: its id (for keys and other tables)
 * and `row(...more)`, the only way to name its row in a statement. Write services take the
 * handle, never a bare user id.
 */
export type AccountHandle = {
  readonly id: string;
  row(...more: (SQL | undefined)[]): AccountCondition;
  readonly [authenticated]: "account";
};
