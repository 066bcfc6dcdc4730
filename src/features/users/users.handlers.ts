import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/app-env";
import { revalidatedJson } from "../../lib/http-cache";
import { toUser } from "./user.schema";
import type { getMe, getMyStats } from "./users.routes";
import { readStats } from "./users.service";

export const getMeHandler: RouteHandler<typeof getMe, AppEnv> = (c) =>
  revalidatedJson(c, toUser(c.get("user"), c.env, c.req.url));

export const getMyStatsHandler: RouteHandler<typeof getMyStats, AppEnv> = async (c) =>
  revalidatedJson(c, await readStats(c.get("db"), c.get("user").id));
