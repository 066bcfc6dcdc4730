import { type ErrorStatus, type MessageKey, t } from "./i18n";

/**
 * A message after the status's generic one: a catalog key, or text already localized. Date
 * params are shown in the request's language and `X-Timezone`.
 */
export type ErrorDetail =
  | { key: MessageKey; params?: Record<string, string | number | Date> }
  | { text: string };

/**
 * The one error type of the service. `onError` turns it into the envelope: the generic
 * message of `status` first, then `details` in the request's language.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly details: readonly ErrorDetail[] = [],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(`ApiError ${status}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.headers = options?.headers;
  }
  readonly headers: Record<string, string> | undefined;
}

/** Why a request was not authenticated: each has its own message for people and for RFC 6750. */
export const AUTH_FAILURES = [
  "missing",
  "malformed",
  "signature",
  "expired",
  "notYetValid",
  "claims",
  "account",
] as const;
export type AuthFailure = (typeof AUTH_FAILURES)[number];

/**
 * The 401 for `reason`, as RFC 6750 says: `WWW-Authenticate: Bearer realm="api"` when no bearer
 * token came, else with `error="invalid_token"` and the reason in English (the header's
 * description is ASCII); `errors[1]` says the same in the request's language.
 */
export function authenticationError(reason: AuthFailure, cause?: unknown): ApiError {
  const key = `auth.${reason}` as const;
  const challenge =
    reason === "missing"
      ? 'Bearer realm="api"'
      : `Bearer realm="api", error="invalid_token", error_description="${t("en", key)}"`;
  return new ApiError(401, [{ key }], { cause, headers: { "WWW-Authenticate": challenge } });
}
