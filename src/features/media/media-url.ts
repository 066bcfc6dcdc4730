/** The public URL of an R2 media key: the R2 custom domain when configured, else the media route. */
export function mediaUrl(key: string, env: Env, requestUrl: string): string {
  const base = env.PUBLIC_MEDIA_BASE_URL
    ? env.PUBLIC_MEDIA_BASE_URL.replace(/\/+$/, "")
    : `${new URL(requestUrl).origin}/media`;
  return `${base}/${key}`;
}
