import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import type { ApiEnv, AuthedEnv, TokenEnv } from "./app-env";
import { requireToken, requireUser } from "./auth";
import { clientHeaderParameters } from "./client-headers";
import { errorEnvelopeOf } from "./envelope";
import { ApiError } from "./errors";
import { type ErrorStatus, type MessageKey, statusMessage, t } from "./i18n";
import { API_RESPONSE_HEADERS, headerRef, IF_NONE_MATCH_PARAMETER, parameterRef } from "./openapi-components";
import { type LimiterName, RETRY_AFTER_SECONDS } from "./rate-limit";

export const SECURITY_SCHEME = "JWT-auth";

export const PRODUCTION_WARNING =
  "**Production uyarisi:** Bu endpoint veri degistirir veya operasyon tetikleyebilir. API Playground " +
  "icinde Production server seciliyse gercek production verisi etkilenir; test icin Development server " +
  "kullanin.\n\n**Production warning:** this operation changes data. When the Production server is " +
  "selected in the playground it changes real production data; use the Development server to try it.";

/** The operation extension that marks a route refused while the account is pending deletion. */
export const LOCKED_EXTENSION = "x-locked-while-pending-deletion";
const LOCKED_WHILE_PENDING =
  "Hesap silinmeyi beklerken 403 döner. Refused with 403 while the account is pending deletion; cancel the " +
  "deletion (DELETE /users/me/account-deletion) to unlock it.";

const ERROR_DESCRIPTIONS: Partial<Record<ErrorStatus, string>> = {
  400: "A header, parameter or body field is invalid; one message per problem follows the first",
  401: "Missing, invalid or expired token, or the account no longer exists; WWW-Authenticate and errors[1] say which",
  403: "The account may not do this; errors[1] says why",
  404: "No such resource",
  409: "Conflicts with the current state",
  413: "The body is too large; errors[1] gives the limit in bytes",
  415: "The body's media type is not accepted",
  429: "Rate limit reached; Retry-After and errors[1] say when to retry",
  500: "Unexpected failure; the details are in the log under the request id",
  503: "A service this operation needs is unavailable; retry after Retry-After",
};

// The second message each of these statuses always carries, shown in the document's example.
const ERROR_EXAMPLE_DETAILS: Partial<Record<ErrorStatus, MessageKey>> = {
  401: "auth.expired",
  429: "rateLimit.retry",
};

function errorHeaders(status: ErrorStatus): { headers?: Record<string, { $ref: string }> } {
  if (status === 401) return { headers: { "WWW-Authenticate": headerRef("WWWAuthenticate") } };
  if (status === 429 || status === 503) return { headers: { "Retry-After": headerRef("RetryAfter") } };
  return {};
}

function errorResponse(status: ErrorStatus) {
  const detail = ERROR_EXAMPLE_DETAILS[status];
  return {
    description: ERROR_DESCRIPTIONS[status] ?? statusMessage("en", status),
    ...errorHeaders(status),
    content: {
      "application/json": {
        schema: errorEnvelopeOf(status),
        example: {
          isSuccess: false,
          statusCode: status,
          data: null,
          errors: [
            statusMessage("en", status),
            ...(detail ? [t("en", detail, { seconds: RETRY_AFTER_SECONDS })] : []),
          ],
          timestamp: "2026-01-15T10:30:00.000Z",
        },
      },
    },
  };
}

type Responses = RouteConfig["responses"];

// Sent by revalidatedJson (src/lib/http-cache.ts) on the 200 and the 304 of a revalidated read.
const REVALIDATED_RESPONSE_HEADERS = {
  ...API_RESPONSE_HEADERS,
  ETag: headerRef("ETag"),
  "Cache-Control": headerRef("CacheControl"),
};

/** Adds the shared headers that `headersOf(status)` names to each response object (types unchanged). */
function withHeaders<T extends Responses>(
  responses: T,
  headersOf: (status: string) => Record<string, { $ref: string }>,
): T {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) =>
      "$ref" in response
        ? [status, response]
        : [status, { ...response, headers: { ...headersOf(status), ...response.headers } }],
    ),
  ) as T;
}

const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/** `get /users/me/stats` → `getUsersMeStats`: the operationId of a route that names none. */
function defaultOperationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join("");
}

type ApiRouteOptions = {
  /** No token needed. */
  public?: boolean;
  /**
   * "token": the route's own statement checks the account (`requireToken`), so it costs one D1
   * round trip instead of two; the handler reads `c.get("account")`. Otherwise the user row is
   * loaded first (`requireUser`).
   */
  authentication?: "user" | "token";
  /** Changes data: the description carries the production warning. */
  mutates?: boolean;
  /**
   * Refused with 403 while the account is pending deletion (the service adds `accountIsEditable`
   * to `account.row()`): documented, and marked `x-locked-while-pending-deletion` for clients and
   * for the test that calls every mutating route with a pending account's token.
   */
  lockedWhilePending?: boolean;
  /** Error statuses beyond the ones every operation can return. */
  errors?: readonly ErrorStatus[];
  maxBodyBytes?: number;
  /** Rate limits beyond the mutation limit that every data-changing operation has. */
  limiters?: readonly LimiterName[];
  /** Runs after authentication, so it may read the user. */
  middleware?: readonly MiddlewareHandler<AuthedEnv>[];
};

type IsPublic<O> = O extends { public: true } ? true : false;
/** The statuses `apiRoute` documents for a route: the same rules as its body, at the type level. */
type RouteErrors<R extends RouteConfig, O> =
  | 400
  | 500
  | (IsPublic<O> extends true ? never : 401 | 429)
  | (R["request"] extends { body: object } ? 413 | 415 : never)
  | (O extends { lockedWhilePending: true } ? 403 : never)
  | (O extends { errors: readonly (infer Extra extends ErrorStatus)[] } ? Extra : never);
type ErrorResponses<Status extends ErrorStatus> = { [S in Status]: ReturnType<typeof errorResponse> };
/** What the handler's context holds: the user only behind `requireUser`. */
type RouteEnv<O> =
  IsPublic<O> extends true ? ApiEnv : O extends { authentication: "token" } ? TokenEnv : AuthedEnv;

type ApiRouteConfig<R extends RouteConfig, O> = Omit<R, "middleware" | "responses"> & {
  middleware: [MiddlewareHandler<RouteEnv<O>>];
  responses: R["responses"] & ErrorResponses<RouteErrors<R, O>>;
};

function errorResponses<Status extends ErrorStatus>(statuses: Status[]): ErrorResponses<Status> {
  const sorted = [...new Set(statuses)].sort();
  return Object.fromEntries(
    sorted.map((status) => [status, errorResponse(status)]),
  ) as ErrorResponses<Status>;
}

/**
 * `createRoute` with what every operation of the API shares: the client headers, the bearer
 * scheme and `requireUser` (unless public), a body size limit, and the error envelopes. Its type
 * says all of it: handlers see the user only where `requireUser` runs, and every error status.
 */
export function apiRoute<const R extends RouteConfig, const O extends ApiRouteOptions = Record<never, never>>(
  route: R,
  options?: O,
) {
  const config: ApiRouteOptions = options ?? {};
  const errors: ErrorStatus[] = [
    400,
    // Authenticated operations: a client IP whose tokens keep being refused gets 429.
    ...(config.public ? [] : [401 as const, 429 as const]),
    ...(config.lockedWhilePending ? [403 as const] : []),
    ...(config.errors ?? []),
    500,
  ];
  const limiters: LimiterName[] = [
    ...(config.mutates ? ["MUTATION_LIMITER" as const] : []),
    ...(config.limiters ?? []),
  ];
  // Each piece declares the env it needs; the composed middleware's type (below) is the route's.
  const middleware: MiddlewareHandler[] = [];
  if (!config.public) {
    middleware.push(config.authentication === "token" ? requireToken(limiters) : requireUser(limiters));
  }
  if (route.request?.body) {
    const maxBodyBytes = config.maxBodyBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    errors.push(413, 415);
    middleware.push(
      bodyLimit({
        maxSize: maxBodyBytes,
        onError: () => {
          throw new ApiError(413, [{ key: "request.tooLarge", params: { limit: maxBodyBytes } }]);
        },
      }),
    );
  }
  middleware.push(...(config.middleware ?? []));
  // One composed middleware, so the route's type carries its env (a list would lose it).
  const routeMiddleware: MiddlewareHandler<RouteEnv<O>> = every(...middleware);

  // A route that documents 304 is a revalidated read: it takes If-None-Match, sends ETag.
  const revalidated = "304" in route.responses;
  const responses: R["responses"] & ErrorResponses<RouteErrors<R, O>> = withHeaders(
    {
      ...errorResponses(errors as RouteErrors<R, O>[]),
      // A route may document one of these statuses its own way (a longer Retry-After, say).
      ...route.responses,
    },
    (status) =>
      revalidated && (status === "200" || status === "304")
        ? REVALIDATED_RESPONSE_HEADERS
        : API_RESPONSE_HEADERS,
  );
  const apiConfig: ApiRouteConfig<R, O> = {
    ...route,
    operationId: route.operationId ?? defaultOperationId(route.method, route.path),
    middleware: [routeMiddleware],
    security: config.public ? [] : [{ [SECURITY_SCHEME]: [] }],
    parameters: [
      ...Object.keys(clientHeaderParameters).map((name) => ({ $ref: `#/components/parameters/${name}` })),
      ...(revalidated ? [parameterRef(IF_NONE_MATCH_PARAMETER)] : []),
    ],
    description:
      [
        config.mutates ? PRODUCTION_WARNING : undefined,
        route.description,
        config.lockedWhilePending ? LOCKED_WHILE_PENDING : undefined,
      ]
        .filter(Boolean)
        .join("\n\n") || undefined,
    ...(config.lockedWhilePending ? { [LOCKED_EXTENSION]: true } : {}),
    responses,
  };
  return createRoute(apiConfig);
}
