import { success } from "../../lib/envelope";
import { ApiError } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { listFlags, putFlag } from "./feature-flags.routes";
import { isFlagKey, readAllFlags, writeFlag } from "./flags";

export const featureFlagsRouter = createRouter()
  .openapi(listFlags, async (c) => c.json(success(await readAllFlags(c.env)), 200))
  .openapi(putFlag, async (c) => {
    const { key } = c.req.valid("param");
    if (!isFlagKey(key)) throw new ApiError(404, [{ key: "flags.unknown" }]);
    return c.json(success(await writeFlag(c.env, key, c.req.valid("json").enabled)), 200);
  });
