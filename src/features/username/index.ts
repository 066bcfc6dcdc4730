import { createRouter } from "../../lib/router";
import { patchUsernameHandler } from "./username.handlers";
import { patchUsername } from "./username.routes";

export const usernameRouter = createRouter().openapi(patchUsername, patchUsernameHandler);
