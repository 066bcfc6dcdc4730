import * as z from "zod";
import "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app-env";
import { once } from "./deferred-schema";
import { ApiError } from "./errors";
import { LANGUAGES } from "./i18n";
import { validationDetails } from "./validation";

// The seed's list, plus UTC-08:00 which the contract adds.
export const TIMEZONES = [
  "UTC",
  "UTC-12:00",
  "UTC-11:00",
  "UTC-10:00",
  "UTC-09:30",
  "UTC-09:00",
  "UTC-08:00",
  "UTC-07:00",
  "UTC-06:00",
  "UTC-05:00",
  "UTC-04:00",
  "UTC-03:30",
  "UTC-03:00",
  "UTC-02:00",
  "UTC-01:00",
  "UTC+00:00",
  "UTC+01:00",
  "UTC+02:00",
  "UTC+03:00",
  "UTC+03:30",
  "UTC+04:00",
  "UTC+04:30",
  "UTC+05:00",
  "UTC+05:30",
  "UTC+05:45",
  "UTC+06:00",
  "UTC+06:30",
  "UTC+07:00",
  "UTC+08:00",
  "UTC+08:45",
  "UTC+09:00",
  "UTC+09:30",
  "UTC+10:00",
  "UTC+10:30",
  "UTC+11:00",
  "UTC+12:00",
  "UTC+12:45",
  "UTC+13:00",
  "UTC+14:00",
] as const;
export type Timezone = (typeof TIMEZONES)[number];

export const PLATFORMS = ["web", "mobile_ios", "mobile_android", "admin", "api", "unknown", "all"] as const;

/**
 * The app version grammar of the contract: 1 to 4 dot-separated numbers of at most 5 digits, an
 * optional -alpha, -beta or -rc with an optional .N, an optional +N build number. Nothing free:
 * the value stays in audit rows after the account is gone, so it must never carry a name.
 */
const APP_VERSION = /^\d{1,5}(\.\d{1,5}){0,3}(-(alpha|beta|rc)(\.\d{1,5})?)?(\+\d{1,10})?$/;
// The longest value the grammar allows: 99999.99999.99999.99999-alpha.99999+9999999999.
const APP_VERSION_MAX_LENGTH = 46;

/** `X-D1-Bookmark` names its shard: `s<shard>:<D1 bookmark>` (clients treat it as opaque). */
export const BOOKMARK = /^s(\d{1,4}):([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32})$/;

// Keys are lowercase header names, as `Headers` gives them. Built by the first /api request, not
// by every isolate's startup.
const clientHeadersSchema = once(() =>
  z.object({
    "x-timezone": z.enum(TIMEZONES, { error: "header.timezone" }).default("UTC"),
    // Refused with "must be one of" and the list itself, so the list is written once.
    "x-platform": z.enum(PLATFORMS).default("web"),
    "x-app-version": z.string().regex(APP_VERSION, { error: "header.appVersion" }).optional(),
    "x-device-id": z
      .string()
      .regex(/^[\x20-\x7e]{1,128}$/, { error: "header.deviceId" })
      .optional(),
    "x-d1-bookmark": z.string().regex(BOOKMARK, { error: "header.bookmark" }).optional(),
  }),
);

export type ClientContext = {
  timezone: Timezone;
  platform: (typeof PLATFORMS)[number];
  appVersion: string | null;
  deviceId: string | null;
  /** The D1 bookmark of the client's last response, for reading its own writes. */
  bookmark: string | null;
};

/** Validates the client headers of the contract once per request; a bad value is a 400. */
export const clientHeaders = createMiddleware<AppEnv>(async (c, next) => {
  const raw = {
    "x-timezone": c.req.header("x-timezone") || undefined,
    "x-platform": c.req.header("x-platform") || undefined,
    "x-app-version": c.req.header("x-app-version") || undefined,
    "x-device-id": c.req.header("x-device-id") || undefined,
    "x-d1-bookmark": c.req.header("x-d1-bookmark") || undefined,
  };
  const parsed = clientHeadersSchema().safeParse(raw);
  if (!parsed.success)
    throw new ApiError(400, validationDetails(parsed.error, c.get("language"), raw, "header"));
  const headers = parsed.data;
  c.set("client", {
    timezone: headers["x-timezone"],
    platform: headers["x-platform"],
    appVersion: headers["x-app-version"] ?? null,
    deviceId: headers["x-device-id"] ?? null,
    bookmark: headers["x-d1-bookmark"] ?? null,
  });
  await next();
});

/**
 * The same headers as OpenAPI parameters, registered once and referenced by every operation. Each is
 * built by the document only (src/features/docs), never for a request.
 */
export const clientHeaderParameters = {
  // The seeds show the language as a choice of en and tr, defaulting to en, and so does the
  // playground. The server also negotiates a full header (tr-TR,tr;q=0.9 means tr) and falls back to
  // en for anything else, so no value is ever refused: clients may send what browsers send.
  AcceptLanguage: () =>
    z
      .enum(LANGUAGES)
      .optional()
      .openapi({
        param: { name: "Accept-Language", in: "header", required: false },
        default: "en",
        description:
          "Uygulama içerisinde seçilen dil / Language of the messages: en or tr (default en). A full " +
          "Accept-Language header is negotiated as HTTP says (tr-TR,tr;q=0.9 means tr); anything else " +
          "falls back to en, never a 400.",
      }),
  XTimezone: () =>
    clientHeadersSchema().shape["x-timezone"].openapi({
      param: { name: "X-Timezone", in: "header", required: false },
      description: "Zaman dilimi (varsayılan: UTC) / Offset for dates shown inside messages",
    }),
  XPlatform: () =>
    clientHeadersSchema().shape["x-platform"].openapi({
      param: { name: "X-Platform", in: "header", required: false },
      description: "Platform (varsayılan: web). Never grants rights: roles come from the account.",
    }),
  XAppVersion: () =>
    clientHeadersSchema().shape["x-app-version"].openapi({
      param: { name: "X-App-Version", in: "header", required: false },
      description:
        "Uygulama versiyonu (opsiyonel) / App version: 1 to 4 numbers (at most 5 digits each), optionally " +
        "-alpha, -beta or -rc with an optional .N, optionally +N (a build number); nothing else.",
      maxLength: APP_VERSION_MAX_LENGTH,
    }),
  XDeviceId: () =>
    clientHeadersSchema().shape["x-device-id"].openapi({
      param: { name: "X-Device-Id", in: "header", required: false },
      description: "Cihaz kimliği (opsiyonel)",
      maxLength: 128,
    }),
  XD1Bookmark: () =>
    clientHeadersSchema().shape["x-d1-bookmark"].openapi({
      param: { name: "X-D1-Bookmark", in: "header", required: false },
      description:
        "The X-D1-Bookmark of your last response: this request then reads at least as new data (your own writes); one naming another database is ignored",
      maxLength: 65,
    }),
  XRequestId: () =>
    z
      .string()
      .max(255)
      .optional()
      .openapi({
        param: { name: "X-Request-Id", in: "header", required: false },
        description: "Echoed back in the response; generated when absent",
      }),
};
