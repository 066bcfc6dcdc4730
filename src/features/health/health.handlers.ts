import type { RouteHandler } from "@hono/zod-openapi";
import { success } from "../../lib/envelope";
import type { getHealth } from "./health.routes";

export const getHealthHandler: RouteHandler<typeof getHealth> = (c) =>
  c.json(success({ status: "ok" as const }), 200);
