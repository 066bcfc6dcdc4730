import type { RouteHandler } from "@hono/zod-openapi";
import { publishAfterResponse } from "../../account-events/publish";
import { afterResponseOf } from "../../lib/after-response";
import { success } from "../../lib/envelope";
import { settings } from "../../lib/settings";
import { toUser } from "../../users/user-view";
import { replacePhoto } from "./photo.service";
import type { patchPhoto, patchUsername, putProfile } from "./profile.routes";
import { changeUsername, updateProfile } from "./profile.service";

export const putProfileHandler: RouteHandler<typeof putProfile> = async (c) => {
  const row = await updateProfile(c.get("db"), c.get("account"), c.req.valid("json"));
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};

export const patchUsernameHandler: RouteHandler<typeof patchUsername> = async (c) => {
  const { USERNAME_CHANGE_COOLDOWN_DAYS, USERNAME_HOLD_DAYS } = settings(c.env);
  const { username } = c.req.valid("json");
  const row = await changeUsername(
    c.get("db"),
    c.get("account"),
    username,
    USERNAME_CHANGE_COOLDOWN_DAYS,
    USERNAME_HOLD_DAYS,
  );
  publishAfterResponse(c, row.id);
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};

export const patchPhotoHandler: RouteHandler<typeof patchPhoto> = async (c) => {
  const { file } = c.req.valid("form");
  const row = await replacePhoto(c.env, c.get("db"), c.get("account"), file, afterResponseOf(c.executionCtx));
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};
