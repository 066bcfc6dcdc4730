import { createRouter } from "../../lib/router";
import { putProfileHandler } from "./profile.handlers";
import { putProfile } from "./profile.routes";

export const profileRouter = createRouter().openapi(putProfile, putProfileHandler);
