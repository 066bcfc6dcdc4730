import type { ErrorStatus, MessageKey } from "./i18n";

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
