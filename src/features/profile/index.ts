import { createRouter } from "../../lib/router";
import { patchPhotoHandler, patchUsernameHandler, putProfileHandler } from "./profile.handlers";
import { patchPhoto, patchUsername, putProfile } from "./profile.routes";

export const profileRouter = createRouter()
  .openapi(putProfile, putProfileHandler)
  .openapi(patchUsername, patchUsernameHandler)
  .openapi(patchPhoto, patchPhotoHandler);
