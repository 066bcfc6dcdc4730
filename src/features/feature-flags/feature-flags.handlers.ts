import type { RouteHandler } from "@hono/zod-openapi";
import { isFlagKey, readAllFlags, writeFlag } from "../../flags/flags";
import { success } from "../../lib/envelope";
import { ApiError } from "../../lib/errors";
import type { listFlags, putFlag } from "./feature-flags.routes";

export const listFlagsHandler: RouteHandler<typeof listFlags> = async (c) =>
  c.json(success(await readAllFlags(c.env)), 200);

export const putFlagHandler: RouteHandler<typeof putFlag> = async (c) => {
  const { key } = c.req.valid("param");
  if (!isFlagKey(key)) throw new ApiError(404, [{ key: "flags.unknown" }]);
  return c.json(success(await writeFlag(c.env, key, c.req.valid("json").enabled)), 200);
};
