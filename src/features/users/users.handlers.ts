import type { RouteHandler } from "@hono/zod-openapi";
import { authenticationError } from "../../lib/errors";
import { revalidatedJson } from "../../lib/http-cache";
import { toUser } from "../../users/user-view";
import type { getMe, getMyStats } from "./users.routes";
import { readStats } from "./users.service";

export const getMeHandler: RouteHandler<typeof getMe> = (c) =>
  revalidatedJson(c, toUser(c.get("user"), c.env, c.req.url));

export const getMyStatsHandler: RouteHandler<typeof getMyStats> = async (c) => {
  const stats = await readStats(c.get("db"), c.get("account"));
  if (!stats) throw authenticationError("account");
  return revalidatedJson(c, stats);
};
