import type { Context } from "hono";
import { success } from "./envelope";

const encoder = new TextEncoder();

async function weakEtag(data: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(JSON.stringify(data)));
  const hex = Array.from(new Uint8Array(digest).subarray(0, 16), (byte) =>
    byte.toString(16).padStart(2, "0"),
  );
  return `W/"${hex.join("")}"`;
}

/** If-None-Match's weak comparison (RFC 9110 §13.1.2): `W/` is ignored on both sides. */
export function ifNoneMatchMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}

/**
 * A private, revalidated JSON read: the ETag is a hash of `data` (not of the envelope, whose
 * timestamp always changes), and a matching If-None-Match gets 304 with no body.
 */
export async function revalidatedJson<T>(c: Context, data: T) {
  const etag = await weakEtag(data);
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  if (ifNoneMatchMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
  return c.json(success(data), 200);
}

// No body; apiRoute() adds If-None-Match to the operation and ETag to its 200 and 304.
export const notModifiedResponse = {
  304: { description: "Not modified: If-None-Match matched the ETag" },
};
