import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/app-env";
import { success } from "../../lib/envelope";
import { toUser } from "./user.schema";
import type { getMe, getMyStats } from "./users.routes";
import { readStats } from "./users.service";

export const getMeHandler: RouteHandler<typeof getMe, AppEnv> = (c) =>
  c.json(success(toUser(c.var.user, c.env, c.req.url)), 200);

export const getMyStatsHandler: RouteHandler<typeof getMyStats, AppEnv> = async (c) =>
  c.json(success(await readStats(c.var.db, c.var.user.id)), 200);
