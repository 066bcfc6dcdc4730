import { createRouter } from "../../lib/router";
import { patchPhotoHandler } from "./photo.handlers";
import { patchPhoto } from "./photo.routes";

export const photoRouter = createRouter().openapi(patchPhoto, patchPhotoHandler);
