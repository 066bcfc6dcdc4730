import type { Context } from "hono";
import { ApiError } from "./errors";

/** The Rate Limiting bindings, as `wrangler types` reads them from wrangler.toml (their one place). */
export type LimiterName = { [Name in keyof Env]: Env[Name] extends RateLimit ? Name : never }[keyof Env];

// Every limiter counts over a 60-second period, so a refused client may retry after it.
export const RETRY_AFTER_SECONDS = 60;

export async function enforceLimit(env: Env, limiter: LimiterName, key: string): Promise<void> {
  const { success } = await env[limiter].limit({ key });
  if (!success)
    throw new ApiError(429, [{ key: "rateLimit.retry", params: { seconds: RETRY_AFTER_SECONDS } }], {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    });
}

export function clientIp(c: Context): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}
