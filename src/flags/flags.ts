import { errorFields, log } from "../lib/log";

/** Every flag the service knows, with its safe default. A key not listed here does not exist. */
export const FEATURE_FLAGS = {
  "account-deletion-finalize-now": {
    defaultEnabled: false,
    description:
      "Lets users skip the grace period with POST /users/me/account-deletion/finalize-now (otherwise 403).",
  },
} as const;

export type FlagKey = keyof typeof FEATURE_FLAGS;
export type FlagState = { key: FlagKey; enabled: boolean; description: string; updatedAt: string | null };

export function isFlagKey(key: string): key is FlagKey {
  return Object.hasOwn(FEATURE_FLAGS, key);
}

const KV_PREFIX = "feature-flag:";
// KV itself takes up to a minute to spread between locations; a short in-isolate cache adds
// little to that and saves a KV read on most requests.
const CACHE_TTL_MS = 30_000;
type StoredFlag = { enabled: boolean; updatedAt: string };
const cache = new Map<FlagKey, { value: StoredFlag | null; expiresAt: number }>();

async function readStored(env: Env, key: FlagKey): Promise<StoredFlag | null> {
  const cached = cache.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.value;
  // Started inside then() so that a binding failing synchronously is handled like a rejection.
  const value = await Promise.resolve()
    .then(() => env.FLAGS.get<StoredFlag>(`${KV_PREFIX}${key}`, "json"))
    .catch((error: unknown) => {
      // A flag that cannot be read is off (its default): a KV outage never enables a feature.
      log("warn", "feature flag read failed; using its default", {
        flag: key,
        error: errorFields(error).error,
      });
      return undefined;
    });
  if (value === undefined) return null;
  cache.set(key, { value, expiresAt: Date.now() + CACHE_TTL_MS });
  return value;
}

export async function readFlag(env: Env, key: FlagKey): Promise<FlagState> {
  const stored = await readStored(env, key);
  const declared = FEATURE_FLAGS[key];
  return {
    key,
    enabled: typeof stored?.enabled === "boolean" ? stored.enabled : declared.defaultEnabled,
    description: declared.description,
    updatedAt: stored?.updatedAt ?? null,
  };
}

export async function isEnabled(env: Env, key: FlagKey): Promise<boolean> {
  return (await readFlag(env, key)).enabled;
}

export function readAllFlags(env: Env): Promise<FlagState[]> {
  return Promise.all((Object.keys(FEATURE_FLAGS) as FlagKey[]).map((key) => readFlag(env, key)));
}

export async function writeFlag(env: Env, key: FlagKey, enabled: boolean): Promise<FlagState> {
  const value: StoredFlag = { enabled, updatedAt: new Date().toISOString() };
  await env.FLAGS.put(`${KV_PREFIX}${key}`, JSON.stringify(value));
  cache.set(key, { value, expiresAt: Date.now() + CACHE_TTL_MS });
  return readFlag(env, key);
}

/** Forgets cached values; for tests that change KV behind the service's back. */
export function clearFlagCache(): void {
  cache.clear();
}
