import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/app-env";
import { success } from "../../lib/envelope";
import { wholeNumberSetting } from "../../lib/time";
import { publishAfterResponse } from "../account-events/publish";
import { toUser } from "../users/user.schema";
import { replacePhoto } from "./photo.service";
import type { patchPhoto, patchUsername, putProfile } from "./profile.routes";
import { changeUsername, updateProfile } from "./profile.service";

export const putProfileHandler: RouteHandler<typeof putProfile, AppEnv> = async (c) => {
  const row = await updateProfile(c.get("db"), c.get("user").id, c.req.valid("json"));
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};

export const patchUsernameHandler: RouteHandler<typeof patchUsername, AppEnv> = async (c) => {
  const cooldownDays = wholeNumberSetting(c.env.USERNAME_CHANGE_COOLDOWN_DAYS, 30);
  const row = await changeUsername(c.get("db"), c.get("user"), c.req.valid("json").username, cooldownDays);
  publishAfterResponse(c, row.id);
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};

export const patchPhotoHandler: RouteHandler<typeof patchPhoto, AppEnv> = async (c) => {
  const row = await replacePhoto(c.env, c.get("db"), c.get("user").id, c.req.valid("form").file);
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};
