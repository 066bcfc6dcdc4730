import type { RouteHandler } from "@hono/zod-openapi";
import { publishAfterResponse } from "../../account-events/publish";
import { success } from "../../lib/envelope";
import { settings } from "../../lib/settings";
import { toUser } from "../../users/user-view";
import type { patchUsername } from "./username.routes";
import { changeUsername } from "./username.service";

export const patchUsernameHandler: RouteHandler<typeof patchUsername> = async (c) => {
  const { USERNAME_CHANGE_COOLDOWN_DAYS, USERNAME_HOLD_DAYS } = settings(c.env);
  const { username } = c.req.valid("json");
  const row = await changeUsername(
    c.get("db"),
    c.get("userId"),
    username,
    USERNAME_CHANGE_COOLDOWN_DAYS,
    USERNAME_HOLD_DAYS,
  );
  publishAfterResponse(c, row.id);
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};
