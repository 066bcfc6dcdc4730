import type { RouteHandler } from "@hono/zod-openapi";
import { afterResponseOf } from "../../lib/after-response";
import { success } from "../../lib/envelope";
import { toUser } from "../../users/user-view";
import type { patchPhoto } from "./photo.routes";
import { replacePhoto } from "./photo.service";

export const patchPhotoHandler: RouteHandler<typeof patchPhoto> = async (c) => {
  const { file } = c.req.valid("form");
  const row = await replacePhoto(c.env, c.get("db"), c.get("account"), file, afterResponseOf(c.executionCtx));
  return c.json(success(toUser(row, c.env, c.req.url)), 200);
};
