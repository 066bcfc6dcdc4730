import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** The Rate Limiting bindings; their limits are set in wrangler.toml, in one place. */
export type LimiterName =
  | "MUTATION_LIMITER"
  | "PHOTO_UPLOAD_LIMITER"
  | "ACCOUNT_DELETION_LIMITER"
  | "AUTH_FAILURE_LIMITER"
  | "DATA_EXPORT_DOWNLOAD_LIMITER";

// Every limiter counts over a 60-second period, so a refused client may retry after it.
const RETRY_AFTER_SECONDS = "60";

export async function enforceLimit(env: Env, limiter: LimiterName, key: string): Promise<void> {
  const { success } = await env[limiter].limit({ key });
  if (!success) throw new ApiError(429, [], { headers: { "Retry-After": RETRY_AFTER_SECONDS } });
}

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}
