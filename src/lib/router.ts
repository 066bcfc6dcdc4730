import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type * as z from "zod";
import type { ApiEnv } from "./app-env";
import { confirmAccount } from "./auth";
import { ApiError } from "./errors";
import { validationDetails } from "./validation";

async function rawInput(c: Context, target: string): Promise<unknown> {
  switch (target) {
    case "json":
      return c.req.json().catch(() => undefined);
    case "form":
      return c.req.parseBody({ all: true }).catch(() => undefined);
    case "param":
      return c.req.param();
    case "query":
      return c.req.query();
    case "header":
      return Object.fromEntries(c.req.raw.headers);
    default:
      return undefined;
  }
}

type ValidationResult = { target: string } & ({ success: true } | { success: false; error: z.ZodError });

/** A failed validation: the 400 envelope, one line per problem. A route's own hook may call it too. */
export async function refuseInvalidInput(result: ValidationResult, c: Context<ApiEnv>): Promise<void> {
  if (result.success) return;
  // A route that checks the account in its own statement has not checked it yet.
  await confirmAccount(c);
  const input = await rawInput(c, result.target);
  throw new ApiError(400, validationDetails(result.error, c.get("language"), input, result.target));
}

/**
 * Every feature's router: a failed validation becomes the 400 envelope, one line per problem.
 * Routers are mounted under /api/v1, behind the client-headers and D1-session middleware.
 */
export function createRouter() {
  return new OpenAPIHono<ApiEnv>({ defaultHook: refuseInvalidInput });
}
