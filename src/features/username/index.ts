import { createRouter } from "../../lib/router";
import { getUsernameAvailabilityHandler, patchUsernameHandler } from "./username.handlers";
import { getUsernameAvailability, patchUsername } from "./username.routes";

export const usernameRouter = createRouter()
  .openapi(patchUsername, patchUsernameHandler)
  .openapi(getUsernameAvailability, getUsernameAvailabilityHandler);
