import { createRouter } from "../../lib/router";
import { downloadExportHandler, getExportHandler, startExportHandler } from "./data-export.handlers";
import { downloadExportRoute, getExportRoute, startExportRoute } from "./data-export.routes";

export const dataExportRouter = createRouter()
  .openapi(startExportRoute, startExportHandler)
  .openapi(getExportRoute, getExportHandler)
  .openapi(downloadExportRoute, downloadExportHandler);
