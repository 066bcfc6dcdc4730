import type { RouteHandler } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import type { DataExportRow } from "../../db/schema";
import { sendJobs } from "../../jobs/messages";
import { success } from "../../lib/envelope";
import { ApiError } from "../../lib/errors";
import { bucketInObjectId } from "../../lib/ids";
import { enforceLimit } from "../../lib/rate-limit";
import { settings } from "../../lib/settings";
import { archiveFileName, type DataExportArchive, markExportFailed } from "./data-export.archive";
import type {
  DataExportState,
  downloadExportRoute,
  getExportRoute,
  startExportRoute,
} from "./data-export.routes";
import { exportState, LINK_TTL_MS, readDownloadable, readExport, startExport } from "./data-export.service";
import { isSignedDownload, signDownload } from "./signed-link";

const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

// The link is on the origin the client called (a hostname routed to this Worker).
async function downloadLink(env: Env, requestUrl: string, row: DataExportRow, now: Date) {
  const expiresAt = new Date(Math.min(now.getTime() + LINK_TTL_MS, row.expiresAt.getTime()));
  const { expires, signature } = await signDownload(settings(env).EXPORT_SIGNING_SECRET, row.id, expiresAt);
  const url = new URL(`/api/v1/data-exports/${row.id}/download`, requestUrl);
  url.search = new URLSearchParams({ expires: String(expires), signature }).toString();
  // The link's own expiry: whole seconds, as signed.
  return { url: url.toString(), expiresAt: new Date(expires * 1000) };
}

async function stateOf(
  env: Env,
  requestUrl: string,
  row: DataExportRow | undefined,
): Promise<DataExportState> {
  const now = new Date();
  const status = exportState(row, now);
  if (!row || status === "none") {
    return {
      exportId: null,
      status,
      requestedAt: null,
      completedAt: null,
      archiveExpiresAt: null,
      downloadUrl: null,
      downloadUrlExpiresAt: null,
    };
  }
  const link = status === "ready" ? await downloadLink(env, requestUrl, row, now) : null;
  return {
    exportId: row.id,
    status,
    requestedAt: iso(row.requestedAt),
    completedAt: iso(row.completedAt),
    archiveExpiresAt: iso(row.expiresAt),
    downloadUrl: link?.url ?? null,
    downloadUrlExpiresAt: iso(link?.expiresAt),
  };
}

export const startExportHandler: RouteHandler<typeof startExportRoute> = async (c) => {
  const userId = c.get("user").id;
  const db = c.get("db");
  const row = await startExport(db, userId);
  // Built by the jobs queue (src/queue.ts): retried if it fails, marked failed once it gives up.
  await sendJobs(c.env, [
    { kind: "build-export", exportId: row.id, userId, objectKey: row.objectKey, requestUrl: c.req.url },
  ]).catch(async (error: unknown) => {
    // Nothing will build it: the person may ask again at once.
    await markExportFailed(db, row.id);
    throw error;
  });
  return c.json(success(await stateOf(c.env, c.req.url, row), 202), 202);
};

export const getExportHandler: RouteHandler<typeof getExportRoute> = async (c) => {
  const row = await readExport(c.get("db"), c.get("user").id);
  // Each answer signs a fresh link: never stored by a cache.
  c.header("Cache-Control", "private, no-store");
  return c.json(success(await stateOf(c.env, c.req.url, row)), 200);
};

export const downloadExportHandler: RouteHandler<typeof downloadExportRoute> = async (c) => {
  const { exportId } = c.req.valid("param");
  const link = c.req.valid("query");
  if (!(await isSignedDownload(settings(c.env).EXPORT_SIGNING_SECRET, exportId, link))) {
    throw new ApiError(403, [{ key: "dataExport.linkInvalid" }]);
  }
  const now = new Date();
  if (link.expires * 1000 <= now.getTime()) throw new ApiError(403, [{ key: "dataExport.linkExpired" }]);
  await enforceLimit(c.env, "DATA_EXPORT_DOWNLOAD_LIMITER", exportId);
  const row = await readDownloadable(c.get("shards").forBucket(bucketInObjectId(exportId)), exportId, now);
  const object = row ? await c.env.MEDIA.get(row.objectKey) : null;
  if (!object) throw new ApiError(404, [{ key: "dataExport.gone" }]);
  const streamed = c.body(object.body, 200, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(object.size),
    "Content-Disposition": `attachment; filename="${archiveFileName(exportId)}"`,
    "Cache-Control": "private, no-store",
  });
  // Streamed from R2 as stored: a stream cannot be checked against the archive's schema, which the
  // archive was built to (DataExportArchive).
  return streamed as unknown as TypedResponse<DataExportArchive, 200, "json">;
};
