import { createRouter } from "../../lib/router";
import { getMeHandler, getMyStatsHandler } from "./users.handlers";
import { getMe, getMyStats } from "./users.routes";

export const usersRouter = createRouter().openapi(getMe, getMeHandler).openapi(getMyStats, getMyStatsHandler);
