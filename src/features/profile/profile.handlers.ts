import type { RouteHandler } from "@hono/zod-openapi";
import { afterResponseOf } from "../../lib/after-response";
import { success } from "../../lib/envelope";
import { toUser } from "../../users/user-view";
import type { putProfile } from "./profile.routes";
import { updateProfile } from "./profile.service";

export const putProfileHandler: RouteHandler<typeof putProfile> = async (c) => {
  const row = await updateProfile(
    c.env,
    c.get("db"),
    c.get("account"),
    c.req.valid("json"),
    afterResponseOf(c.executionCtx),
  );
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};
