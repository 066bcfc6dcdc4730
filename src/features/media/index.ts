import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../lib/app-env";
import { getProfilePhotoHandler, notFoundUnlessValid } from "./media.handlers";
import { getProfilePhoto } from "./media.routes";

// Outside /api: no client headers and no D1 session; its own answer to an invalid name (404).
export const mediaRouter = new OpenAPIHono<AppEnv>().openapi(
  getProfilePhoto,
  getProfilePhotoHandler,
  notFoundUnlessValid,
);
