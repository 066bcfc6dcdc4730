import type { RouteHandler } from "@hono/zod-openapi";
import { publishAfterResponse } from "../../account-events/publish";
import { afterResponseOf } from "../../lib/after-response";
import { success } from "../../lib/envelope";
import { settings } from "../../lib/settings";
import { directoryOf } from "../../users/directory";
import { toUser } from "../../users/user-view";
import type { getUsernameAvailability, patchUsername } from "./username.routes";
import { changeUsername, usernameAvailability } from "./username.service";

export const patchUsernameHandler: RouteHandler<typeof patchUsername> = async (c) => {
  const { USERNAME_CHANGE_COOLDOWN_DAYS, USERNAME_HOLD_DAYS } = settings(c.env);
  const { username } = c.req.valid("json");
  const row = await changeUsername(
    directoryOf(c.env),
    c.get("db"),
    c.get("account"),
    username,
    USERNAME_CHANGE_COOLDOWN_DAYS,
    USERNAME_HOLD_DAYS,
    afterResponseOf(c.executionCtx),
  );
  publishAfterResponse(c, row.id);
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};

export const getUsernameAvailabilityHandler: RouteHandler<typeof getUsernameAvailability> = async (c) => {
  const { username } = c.req.valid("query");
  const answer = await usernameAvailability(
    directoryOf(c.env),
    c.get("db"),
    c.get("account"),
    username,
    settings(c.env).USERNAME_HOLD_DAYS,
  );
  // Names are taken and given up at any moment: no cache may answer for this one.
  c.header("Cache-Control", "private, no-store");
  return c.json(success(answer), 200);
};
