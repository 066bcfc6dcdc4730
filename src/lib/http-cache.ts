import type { Context } from "hono";
import { success } from "./envelope";

/**
 * FNV-1a (64-bit) over the JSON text's UTF-16 code units, in four 16-bit limbs so that every
 * product stays exact in a double. A weak ETag only has to change when the data does; a
 * cryptographic digest costs far more (a WebCrypto call per read) for no safety gained here.
 */
function fnv1a64(text: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < text.length; i += 1) {
    h0 ^= text.charCodeAt(i);
    // × 0x100000001b3 (2^40 + 0x1b3), limb by limb, carries up.
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    h3 = (h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16)) & 0xffff;
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
}

function weakEtag(data: unknown): string {
  return `W/"${fnv1a64(JSON.stringify(data))}"`;
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
  const etag = weakEtag(data);
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  if (ifNoneMatchMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
  return c.json(success(data), 200);
}

// No body; apiRoute() adds If-None-Match to the operation and ETag to its 200 and 304.
export const notModifiedResponse = {
  304: { description: "Not modified: If-None-Match matched the ETag" },
};
