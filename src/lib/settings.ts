import * as z from "zod";
import { BUCKETS } from "./buckets";
import { once } from "./deferred-schema";

// The schema is built by the first request that reads a setting, not by every isolate's startup.

// wrangler.toml [vars] and secrets arrive as strings; an empty one means "not set".
const unset = (value: unknown) => (value === "" ? undefined : value);
const optionalText = () => z.preprocess(unset, z.string().optional());
const wholeNumber = (fallback: number, min: number) =>
  z.preprocess(unset, z.coerce.number().int().min(min).default(fallback));
const commaList = () =>
  z
    .string()
    .default("")
    .transform(
      (list) =>
        new Set(
          list
            .split(",")
            .map((item) => item.trim())
            .filter(Boolean),
        ),
    );

// "0-511:0,512-1023:1": every bucket (src/lib/buckets.ts) named once, with the shard that holds it.
const bucketRanges = () =>
  z.preprocess(
    unset,
    z
      .string()
      .regex(/^\s*\d+-\d+:\d+\s*(,\s*\d+-\d+:\d+\s*)*$/, { error: "expected ranges like 0-511:0,512-1023:1" })
      .transform((text, context) => {
        const shardOf: number[] = [];
        for (const [, first, last, shard] of text.matchAll(/(\d+)-(\d+):(\d+)/g)) {
          for (let bucket = Number(first); bucket <= Number(last) && bucket < BUCKETS; bucket += 1) {
            if (shardOf[bucket] !== undefined) context.addIssue(`bucket ${bucket} is named twice`);
            shardOf[bucket] = Number(shard);
          }
        }
        const missing = Array.from({ length: BUCKETS }, (_, bucket) => bucket).find(
          (bucket) => shardOf[bucket] === undefined,
        );
        if (missing !== undefined)
          context.addIssue(`bucket ${missing} has no shard (buckets 0-${BUCKETS - 1})`);
        return shardOf as readonly number[];
      })
      .optional(),
  );

function buildSettingsSchema() {
  return z.object({
    JWT_ALGORITHM: z.preprocess(unset, z.enum(["HS256", "RS256", "ES256"]).default("HS256")),
    JWT_SECRET: optionalText(),
    JWT_JWKS_URL: z.preprocess(unset, z.url().optional()),
    JWT_ISSUER: optionalText(),
    JWT_AUDIENCE: optionalText(),
    ACCOUNT_DELETION_GRACE_DAYS: wholeNumber(28, 0),
    // Rows written by one D1 batch of the chunked part of a finalization (API.md: "a few thousand").
    FINALIZE_CHUNK_ROWS: wholeNumber(4000, 100),
    USERNAME_CHANGE_COOLDOWN_DAYS: wholeNumber(30, 0),
    USERNAME_HOLD_DAYS: wholeNumber(14, 0),
    // Hours an account event may keep its old and new usernames while it waits to be sent.
    EVENT_PII_MAX_HOURS: wholeNumber(72, 1),
    PUBLIC_MEDIA_BASE_URL: z.preprocess(
      unset,
      z
        .url()
        .transform((url) => url.replace(/\/+$/, ""))
        .optional(),
    ),
    ALLOWED_ORIGINS: commaList(),
    // The deployed API's origin: the Production server of the OpenAPI document.
    PUBLIC_API_BASE_URL: z.preprocess(
      unset,
      z
        .url({ protocol: /^https?$/ })
        .transform((url) => new URL(url).origin)
        .optional(),
    ),
    // The data-export links' HMAC key; only the export routes need it (they fail without it).
    EXPORT_SIGNING_SECRET: z.preprocess(unset, z.string().min(32).optional()),
    // The key of the directory's email hashes; the routes that change an email need it.
    EMAIL_HASH_SECRET: z.preprocess(unset, z.string().min(32).optional()),
    // Which shard holds each bucket; unset, the buckets are split evenly over the bound shards.
    SHARD_OF_BUCKET: bucketRanges(),
  });
}

const settingsSchema = once(buildSettingsSchema);

export type Settings = z.output<ReturnType<typeof buildSettingsSchema>>;

/**
 * Every setting's default: the one place they are written. wrangler.toml leaves these settings
 * empty (unset), and descriptions (the OpenAPI document, bench scripts) quote them from here.
 */
export const settingDefaults = once((): Settings => settingsSchema().parse({}));

/** A deployment error: its message names each bad setting, and it surfaces as a logged 500. */
export class SettingsError extends Error {
  override name = "SettingsError";
}

// An isolate serves every request with the same env object; tests pass their own.
const parsed = new WeakMap<Env, Settings>();

/** The Worker's settings, parsed once per env object (so once per isolate in production). */
export function settings(env: Env): Settings {
  let result = parsed.get(env);
  if (!result) {
    const outcome = settingsSchema().safeParse(env);
    if (!outcome.success) {
      const problems = outcome.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
      throw new SettingsError(`invalid settings: ${problems.join("; ")}`);
    }
    result = outcome.data;
    parsed.set(env, result);
  }
  return result;
}

/**
 * How tokens are verified: an HS256 secret, or RS256/ES256 keys from a JWKS endpoint. Checked
 * when a token is, so public routes (health, the docs) answer without any JWT configuration.
 */
export function tokenSettings(env: Env) {
  const { JWT_ALGORITHM, JWT_JWKS_URL, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE } = settings(env);
  if (JWT_JWKS_URL && JWT_ALGORITHM === "HS256")
    throw new SettingsError(
      "invalid settings: JWT_ALGORITHM: must be RS256 or ES256 when JWT_JWKS_URL is set",
    );
  if (!JWT_JWKS_URL && JWT_ALGORITHM !== "HS256")
    throw new SettingsError(`invalid settings: JWT_JWKS_URL: is needed by JWT_ALGORITHM ${JWT_ALGORITHM}`);
  if (!JWT_JWKS_URL && !JWT_SECRET)
    throw new SettingsError("invalid settings: JWT_SECRET: is not configured");
  return {
    algorithm: JWT_ALGORITHM,
    jwksUrl: JWT_JWKS_URL,
    secret: JWT_SECRET ?? "",
    JWT_ISSUER,
    JWT_AUDIENCE,
  };
}
