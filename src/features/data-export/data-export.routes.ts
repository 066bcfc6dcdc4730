import * as z from "zod";
import { DATA_EXPORT_STATUSES } from "../../db/schema";
import { envelopeOf, errorEnvelopeOf } from "../../lib/envelope";
import { statusMessage } from "../../lib/i18n";
import { OBJECT_ID_PATTERN } from "../../lib/ids";
import { apiRoute } from "../../lib/route";
import { DataExportArchiveSchema } from "./data-export.archive";
import { CANONICAL_EXPIRES, CANONICAL_SIGNATURE } from "./signed-link";

const at = (example: string) => z.iso.datetime().openapi({ example }).nullable();

export const DataExportStateSchema = z
  .object({
    exportId: z.string().nullable().openapi({ example: "6a1f0c2e9b3d4e5f60718293" }),
    status: z.enum(["none", ...DATA_EXPORT_STATUSES]),
    requestedAt: at("2026-04-07T10:00:00.000Z"),
    completedAt: at("2026-04-07T10:00:02.000Z"),
    archiveExpiresAt: at("2026-04-14T10:00:00.000Z").openapi({
      description: "When the archive is deleted (7 days after it was asked for)",
    }),
    downloadUrl: z.url().nullable().openapi({
      description: "Set when ready: a signed link that needs no token",
      example:
        "https://api.example.com/api/v1/data-exports/6a1f0c2e9b3d4e5f60718293/download?expires=1775642400&signature=Jx0v8sXkq3m2b9YwQe5LrT1uN6cZpA4dHfGiK7oVj0E",
    }),
    downloadUrlExpiresAt: at("2026-04-08T10:00:00.000Z").openapi({
      description: "When the download link stops working (24 hours after it was given)",
    }),
  })
  .openapi("DataExportState");

export type DataExportState = z.infer<typeof DataExportStateSchema>;

const TAGS = ["Data export"];

export const startExportRoute = apiRoute(
  {
    method: "post",
    path: "/users/me/data-export",
    operationId: "startDataExport",
    tags: TAGS,
    summary: "Verilerimi dışa aktar / Start a data export",
    description:
      "Starts building one JSON archive of everything the service holds about the user: the user object, " +
      "consent records, followers and following, live streams, account events and the profile photo. It is " +
      "built after the response; poll GET /users/me/data-export. Works while a deletion is pending. 409 while " +
      "an export is being built; one export a day (429 with Retry-After in seconds until the next one is " +
      "allowed; a failed export may be retried at once).",
    responses: {
      202: {
        description: "The export is being built",
        content: { "application/json": { schema: envelopeOf(DataExportStateSchema, 202) } },
      },
      429: {
        description:
          "Rate limit reached, or an export was already started in the last 24 hours; see Retry-After",
        headers: {
          "Retry-After": {
            description: "Seconds to wait",
            required: true,
            schema: { type: "integer", format: "int32", minimum: 1, maximum: 86400, example: 3600 },
          },
        },
        content: {
          "application/json": {
            schema: errorEnvelopeOf(429),
            example: {
              isSuccess: false,
              statusCode: 429,
              data: null,
              errors: [
                statusMessage("en", 429),
                "A data export can be started once a day; the next one from 8 April 2026 at 10:00 (UTC)",
              ],
              timestamp: "2026-04-07T11:00:00.000Z",
            },
          },
        },
      },
    },
  },
  { mutates: true, errors: [409] },
);

// A signed link, or the archive it opens, must not be kept by any cache.
const NO_STORE = {
  description: "Never stored by a cache",
  required: true,
  schema: { type: "string" as const, const: "private, no-store" },
};

export const getExportRoute = apiRoute({
  method: "get",
  path: "/users/me/data-export",
  operationId: "getDataExport",
  tags: TAGS,
  summary: "Veri dışa aktarım durumu / Data export state",
  description:
    "The state of the user's latest export: `none`, `building`, `ready` or `failed`. When ready, a download " +
    "URL that works for 24 hours without a bearer token, and its expiry; each call gives a fresh link. " +
    "Archives are deleted 7 days after they were asked for, and at account finalization.",
  responses: {
    200: {
      description: "The state",
      headers: { "Cache-Control": NO_STORE },
      content: { "application/json": { schema: envelopeOf(DataExportStateSchema) } },
    },
  },
});

export const DownloadParamsSchema = z.object({
  exportId: z
    .string()
    .regex(OBJECT_ID_PATTERN)
    .openapi({ param: { name: "exportId", in: "path" }, example: "6a1f0c2e9b3d4e5f60718293", maxLength: 24 }),
});

// A link has exactly one valid spelling, the one signDownload wrote (signed-link.ts): epoch seconds
// in plain decimal (no sign, point, exponent, hex or spaces), and the signature in base64url with
// the unused low bits of its last character zero (four spellings would decode to one MAC).
export const DownloadQuerySchema = z.object({
  expires: z
    .string()
    .regex(CANONICAL_EXPIRES, { error: "dataExport.linkSpelling" })
    .transform(Number)
    .openapi({
      param: { name: "expires", in: "query" },
      type: "string",
      maxLength: 11,
      example: "1775642400",
      description: "Epoch seconds, in plain decimal",
    }),
  signature: z
    .string()
    .regex(CANONICAL_SIGNATURE, { error: "dataExport.linkSpelling" })
    .openapi({
      param: { name: "signature", in: "query" },
      maxLength: 43,
      description: "HMAC-SHA256, base64url without padding",
    }),
});

export const downloadExportRoute = apiRoute(
  {
    method: "get",
    path: "/data-exports/{exportId}/download",
    operationId: "downloadDataExport",
    tags: TAGS,
    summary: "Veri arşivini indir / Download a data export (signed link, public)",
    description:
      "Serves the archive as a JSON attachment. Needs no token: the link from GET /users/me/data-export is " +
      "signed and expires after 24 hours. A changed or expired link is 403; an export deleted since is 404. " +
      "At most 10 downloads a minute per export.",
    request: { params: DownloadParamsSchema, query: DownloadQuerySchema },
    responses: {
      200: {
        description: "The archive",
        headers: {
          "Cache-Control": NO_STORE,
          "Content-Disposition": {
            description: 'attachment; filename="data-export-<exportId>.json"',
            schema: { type: "string" },
          },
        },
        content: { "application/json": { schema: DataExportArchiveSchema } },
      },
    },
  },
  { public: true, errors: [403, 404, 429] },
);
