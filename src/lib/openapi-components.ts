import type { OpenAPIHono } from "@hono/zod-openapi";
import { LANGUAGES } from "./i18n";

// The response headers of the contract and the revalidation request header, as OpenAPI components:
// registered once, referenced by apiRoute() from the operations that send or take them.

const headers = {
  XRequestId: {
    description:
      "The request's X-Request-Id, or one generated for it; the log line of the request carries it",
    required: true,
    schema: { type: "string" as const, maxLength: 255, example: "558cacc7-1156-48c6-b88a-04cb874c67c9" },
  },
  ContentLanguage: {
    description: "The language of the messages in `errors`, negotiated from Accept-Language",
    required: true,
    schema: { type: "string" as const, enum: [...LANGUAGES] },
  },
  XD1Bookmark: {
    description:
      "The D1 session's bookmark after this request, naming the database that holds the account (opaque). " +
      "Send it back as the X-D1-Bookmark request header to read your own writes from any replica. " +
      "Absent when the request did not reach the database.",
    required: false,
    schema: { type: "string" as const, maxLength: 128 },
  },
  ETag: {
    description: "Weak ETag of `data` (not of the envelope, whose timestamp always changes)",
    required: true,
    schema: { type: "string" as const, maxLength: 128, example: 'W/"0f3c2e9d8a7b6c5d4e3f2a1b0c9d8e7f"' },
  },
  CacheControl: {
    description: "Private, and revalidated on every use (send If-None-Match)",
    required: true,
    schema: { type: "string" as const, const: "private, no-cache" },
  },
  RetryAfter: {
    description: "Seconds to wait",
    required: true,
    // Every limiter counts over at most 60 seconds (src/lib/rate-limit.ts).
    schema: { type: "integer" as const, format: "int32", minimum: 1, maximum: 60, example: 60 },
  },
  WWWAuthenticate: {
    description:
      'RFC 6750: `Bearer realm="api"` when no bearer token was sent; `Bearer realm="api", ' +
      'error="invalid_token", error_description="..."` when the token was refused, with the reason ' +
      "(malformed, bad signature, expired, not yet valid, wrong issuer or audience, unknown or deleted account)",
    required: true,
    schema: {
      type: "string" as const,
      maxLength: 256,
      example: 'Bearer realm="api", error="invalid_token", error_description="The bearer token has expired"',
    },
  },
};

export type HeaderComponent = keyof typeof headers;

export const headerRef = (name: HeaderComponent) => ({ $ref: `#/components/headers/${name}` });

/** On every response: requestId() and the Content-Language middleware of src/app.ts. */
export const EVERY_RESPONSE_HEADERS = {
  "X-Request-Id": headerRef("XRequestId"),
  "Content-Language": headerRef("ContentLanguage"),
};

/** On every /api response: src/lib/d1-session.ts adds the bookmark. */
export const API_RESPONSE_HEADERS = {
  ...EVERY_RESPONSE_HEADERS,
  "X-D1-Bookmark": headerRef("XD1Bookmark"),
};

export const IF_NONE_MATCH_PARAMETER = "IfNoneMatch";

const parameters = {
  [IF_NONE_MATCH_PARAMETER]: {
    name: "If-None-Match",
    in: "header" as const,
    required: false,
    description: "The ETag of a response you hold: 304 without a body when the data has not changed",
    schema: { type: "string" as const, maxLength: 1024 },
  },
};

export const parameterRef = (name: keyof typeof parameters) => ({ $ref: `#/components/parameters/${name}` });

export function registerSharedComponents(registry: OpenAPIHono["openAPIRegistry"]) {
  for (const [name, header] of Object.entries(headers)) registry.registerComponent("headers", name, header);
  for (const [name, parameter] of Object.entries(parameters))
    registry.registerComponent("parameters", name, parameter);
}

/**
 * OAS 3.1's schema of binary content (a file, an image): `contentMediaType`, which Swagger UI and
 * client generators read as binary. The zod-openapi types predate the keyword, hence the cast.
 */
export function binaryContent(mediaType: string): { type: "string" } {
  return { type: "string", contentMediaType: mediaType } as { type: "string" };
}
