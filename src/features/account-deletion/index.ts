import { createRouter } from "../../lib/router";
import {
  cancelDeletionHandler,
  finalizeNowHandler,
  getDeletionHandler,
  requestDeletionHandler,
} from "./account-deletion.handlers";
import {
  cancelDeletionRoute,
  finalizeNowRoute,
  getDeletionRoute,
  requestDeletionRoute,
} from "./account-deletion.routes";

export const accountDeletionRouter = createRouter()
  .openapi(requestDeletionRoute, requestDeletionHandler)
  .openapi(getDeletionRoute, getDeletionHandler)
  .openapi(cancelDeletionRoute, cancelDeletionHandler)
  .openapi(finalizeNowRoute, finalizeNowHandler);
