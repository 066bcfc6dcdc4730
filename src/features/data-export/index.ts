import { ApiError } from "../../lib/errors";
import { createRouter, refuseInvalidInput } from "../../lib/router";
import { downloadExportHandler, getExportHandler, startExportHandler } from "./data-export.handlers";
import { downloadExportRoute, getExportRoute, startExportRoute } from "./data-export.routes";

export const dataExportRouter = createRouter()
  .openapi(startExportRoute, startExportHandler)
  .openapi(getExportRoute, getExportHandler)
  // A link is either exactly the one we signed or not valid: a mangled expiry or signature is the
  // same 403 as a changed one (a wrong header or export id is still the usual 400).
  .openapi(downloadExportRoute, downloadExportHandler, async (result, c) => {
    if (!result.success && result.target === "query")
      throw new ApiError(403, [{ key: "dataExport.linkInvalid" }]);
    await refuseInvalidInput(result, c);
    return undefined as never;
  });
