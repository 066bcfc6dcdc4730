import { createRouter } from "../../lib/router";
import { listFlagsHandler, putFlagHandler } from "./feature-flags.handlers";
import { listFlags, putFlag } from "./feature-flags.routes";

// The flags themselves (declarations, KV reads and writes) are core: src/flags/flags.ts.
export const featureFlagsRouter = createRouter()
  .openapi(listFlags, listFlagsHandler)
  .openapi(putFlag, putFlagHandler);
