import { settings } from "../lib/settings";

export const PROFILE_PHOTO_PREFIX = "profile-photos";
export const EXPORT_PREFIX = "exports";

/** The public URL of an R2 media key: the R2 custom domain when configured, else the media route. */
export function mediaUrl(key: string, env: Env, requestUrl: string): string {
  const base = settings(env).PUBLIC_MEDIA_BASE_URL ?? `${new URL(requestUrl).origin}/media`;
  return `${base}/${key}`;
}

// Cached copies are keyed by object key on a fixed host, not by the request's URL, so code that
// deletes an object can purge its copy without knowing which hostname served it.
const CACHE_ORIGIN = "https://media-cache.profile-api.internal";

export function mediaCacheRequest(key: string): Request {
  return new Request(`${CACHE_ORIGIN}/${key}`);
}
