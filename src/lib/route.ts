import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./app-env";
import { requireUser } from "./auth";
import { clientHeaderParameters } from "./client-headers";
import { ErrorEnvelopeSchema } from "./envelope";
import { ApiError } from "./errors";
import { type ErrorStatus, statusMessage } from "./i18n";
import type { LimiterName } from "./rate-limit";

export const SECURITY_SCHEME = "JWT-auth";

export const PRODUCTION_WARNING =
  "**Production uyarisi:** Bu endpoint veri degistirir veya operasyon tetikleyebilir. API Playground " +
  "icinde Production server seciliyse gercek production verisi etkilenir; test icin Development server " +
  "kullanin.\n\n**Production warning:** this operation changes data. When the Production server is " +
  "selected in the playground it changes real production data; use the Development server to try it.";

const ERROR_DESCRIPTIONS: Partial<Record<ErrorStatus, string>> = {
  400: "A header, parameter or body field is invalid; one message per problem follows the first",
  401: "Missing, invalid or expired token, or the account no longer exists",
  403: "The account may not do this",
  404: "No such resource",
  409: "Conflicts with the current state",
  413: "The body is too large",
  415: "The body's media type is not accepted",
  429: "Rate limit reached; see Retry-After",
  500: "Unexpected failure; the details are in the log under the request id",
  503: "A service this operation needs is unavailable; retry after Retry-After",
};

function errorResponse(status: ErrorStatus) {
  return {
    description: ERROR_DESCRIPTIONS[status] ?? statusMessage("en", status),
    ...(status === 429 || status === 503
      ? {
          headers: {
            "Retry-After": {
              description: "Seconds to wait",
              // Every limiter counts over at most 60 seconds (src/lib/rate-limit.ts); a 503 asks for less.
              schema: { type: "integer" as const, format: "int32", minimum: 1, maximum: 60, example: 60 },
            },
          },
        }
      : {}),
    content: {
      "application/json": {
        schema: ErrorEnvelopeSchema,
        example: {
          isSuccess: false,
          statusCode: status,
          data: null,
          errors: [statusMessage("en", status)],
          timestamp: "2026-01-15T10:30:00.000Z",
        },
      },
    },
  };
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
  /** Changes data: the description carries the production warning. */
  mutates?: boolean;
  /** Error statuses beyond the ones every operation can return. */
  errors?: ErrorStatus[];
  maxBodyBytes?: number;
  /** Rate limits beyond the mutation limit that every data-changing operation has. */
  limiters?: LimiterName[];
  middleware?: MiddlewareHandler<AppEnv>[];
};

/**
 * `createRoute` with what every operation of the API shares: the client headers, the bearer
 * scheme and `requireUser` (unless public), a body size limit, and the error envelopes.
 */
export function apiRoute<const R extends RouteConfig>(route: R, options: ApiRouteOptions = {}): R {
  const errors: ErrorStatus[] = [
    400,
    // Authenticated operations: a client IP whose tokens keep being refused gets 429.
    ...(options.public ? [] : [401 as const, 429 as const]),
    ...(options.errors ?? []),
    500,
  ];
  const limiters: LimiterName[] = [
    ...(options.mutates ? ["MUTATION_LIMITER" as const] : []),
    ...(options.limiters ?? []),
  ];
  const middleware: MiddlewareHandler<AppEnv>[] = options.public ? [] : [requireUser(limiters)];
  if (route.request?.body) {
    errors.push(413, 415);
    middleware.push(
      bodyLimit({
        maxSize: options.maxBodyBytes ?? DEFAULT_BODY_LIMIT_BYTES,
        onError: () => {
          throw new ApiError(413);
        },
      }),
    );
  }
  middleware.push(...(options.middleware ?? []));

  return createRoute({
    ...route,
    operationId: route.operationId ?? defaultOperationId(route.method, route.path),
    middleware,
    security: options.public ? [] : [{ [SECURITY_SCHEME]: [] }],
    parameters: Object.keys(clientHeaderParameters).map((name) => ({
      $ref: `#/components/parameters/${name}`,
    })),
    description: options.mutates ? `${PRODUCTION_WARNING}\n\n${route.description ?? ""}` : route.description,
    responses: {
      ...route.responses,
      ...Object.fromEntries([...new Set(errors)].sort().map((status) => [status, errorResponse(status)])),
    },
  }) as R;
}
