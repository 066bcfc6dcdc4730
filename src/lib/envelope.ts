import * as z from "zod";
import "@hono/zod-openapi";
import type { ErrorStatus } from "./i18n";

type Envelope<Success extends boolean, T> = {
  isSuccess: Success;
  statusCode: number;
  data: T;
  errors: string[];
  timestamp: string;
};

export function success<T>(data: T, statusCode = 200): Envelope<true, T> {
  return { isSuccess: true, statusCode, data, errors: [], timestamp: new Date().toISOString() };
}

export function failure(statusCode: ErrorStatus, errors: string[]): Envelope<false, null> {
  return { isSuccess: false, statusCode, data: null, errors, timestamp: new Date().toISOString() };
}

const timestamp = z.iso.datetime().openapi({ example: "2026-05-22T16:11:26.808Z" });
const httpStatus = z.number().int().min(100).max(599).openapi({ format: "int32" });

/** The success envelope around a route's data schema, for the OpenAPI document and response types. */
export function envelopeOf<T extends z.ZodType>(data: T) {
  return z.object({
    isSuccess: z.literal(true),
    statusCode: httpStatus.openapi({ example: 200 }),
    data,
    errors: z.array(z.string()).openapi({ example: [] }),
    timestamp,
  });
}

export const ErrorEnvelopeSchema = z
  .object({
    isSuccess: z.literal(false),
    statusCode: httpStatus,
    data: z.null(),
    errors: z.array(z.string()).min(1),
    timestamp,
  })
  .openapi("ErrorEnvelope");
