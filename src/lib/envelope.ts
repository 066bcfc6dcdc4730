import * as z from "zod";
import "@hono/zod-openapi";
import { deferSchema, once, resolveSchema } from "./deferred-schema";
import type { ErrorStatus } from "./i18n";

type Envelope<Success extends boolean, T, Status extends number> = {
  isSuccess: Success;
  statusCode: Status;
  data: T;
  errors: string[];
  timestamp: string;
};

// Overloads, so a plain success(data) is a 200 whatever statuses the route's type allows.
export function success<T>(data: T): Envelope<true, T, 200>;
export function success<T, const Status extends number>(
  data: T,
  statusCode: Status,
): Envelope<true, T, Status>;
export function success<T>(data: T, statusCode = 200): Envelope<true, T, number> {
  return { isSuccess: true, statusCode, data, errors: [], timestamp: new Date().toISOString() };
}

export function failure(statusCode: ErrorStatus, errors: string[]): Envelope<false, null, ErrorStatus> {
  return { isSuccess: false, statusCode, data: null, errors, timestamp: new Date().toISOString() };
}

// The schemas below describe responses for the OpenAPI document only: built when it is generated.

const timestamp = once(() => z.iso.datetime().openapi({ example: "2026-05-22T16:11:26.808Z" }));

/**
 * The success envelope around a route's data schema, for the OpenAPI document and response types.
 * `statusCode` is a literal, so a generated client can narrow a response by it.
 */
export function envelopeOf<T extends z.ZodType, const Status extends number = 200>(
  data: T,
  statusCode: Status = 200 as Status,
) {
  return deferSchema(async () =>
    z.object({
      isSuccess: z.literal(true),
      statusCode: z.literal(statusCode),
      data: await resolveSchema(data),
      errors: z.array(z.string()).openapi({ example: [] }),
      timestamp: timestamp(),
    }),
  );
}

// Null on every error, and documented so: a client never has to handle anything else there.
const errorData = once(() => z.null().openapi({ description: "Always null on an error" }));

function buildErrorEnvelope(status: ErrorStatus) {
  return z
    .object({
      isSuccess: z.literal(false),
      statusCode: z.literal(status),
      data: errorData(),
      errors: z.array(z.string()).min(1),
      timestamp: timestamp(),
    })
    .openapi(`ErrorEnvelope${status}`);
}

const errorEnvelopes = new Map<ErrorStatus, ReturnType<typeof buildErrorEnvelope>>();

/** The error envelope of one status, a named component (`ErrorEnvelope409`), built once. */
export function errorEnvelopeOf(status: ErrorStatus) {
  let schema = errorEnvelopes.get(status);
  if (!schema) {
    schema = deferSchema(async () => buildErrorEnvelope(status));
    errorEnvelopes.set(status, schema);
  }
  return schema;
}
