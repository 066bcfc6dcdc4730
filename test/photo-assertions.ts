import { env } from "cloudflare:workers";
import { expect } from "vitest";

/** A variant's R2 key: `profile-photos/{userId}/{photoId}-{size}.webp`. */
export const VARIANT_KEY = /^profile-photos\/[0-9a-f]{24}\/[0-9a-f]{24}-(96|256|512)\.webp$/;

export function contains(haystack: Uint8Array, needle: string): boolean {
  const bytes = new TextEncoder().encode(needle);
  outer: for (
    let at = haystack.indexOf(bytes[0] ?? 0);
    at >= 0;
    at = haystack.indexOf(bytes[0] ?? 0, at + 1)
  ) {
    for (let i = 1; i < bytes.length; i++) if (haystack[at + i] !== bytes[i]) continue outer;
    return true;
  }
  return false;
}

// Text that would mean something of the upload survived: the fixtures' secrets, metadata
// identifiers of every container, and markup a browser could sniff.
const FORBIDDEN_TEXT = [
  "fixture-",
  "Exif",
  "EXIF",
  "XMP",
  "http://",
  "adobe",
  "ICC_PROFILE",
  "ICCP",
  "JFIF",
  "MPF",
  "GPS",
  "<script",
  "<html",
  "<svg",
];
// What a still WebP needs: its frame, the extended header and alpha.
const ALLOWED_CHUNKS = new Set(["VP8 ", "VP8L", "VP8X", "ALPH"]);
// VP8X flags: ICC (0x20), EXIF (0x08), XMP (0x04), animation (0x02).
const METADATA_OR_ANIMATION_FLAGS = 0x20 | 0x08 | 0x04 | 0x02;

/** The RIFF chunk names of a WebP file, top level. */
function webpChunks(bytes: Uint8Array): { fourcc: string; data: Uint8Array }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = [];
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    chunks.push({
      fourcc: String.fromCharCode(...bytes.subarray(at, at + 4)),
      data: bytes.subarray(at + 8, at + 8 + size),
    });
    at += 8 + size + (size % 2);
  }
  return chunks;
}

/** A stored or served variant: a square still WebP of `size` px with nothing but pixels in it. */
export async function expectCleanVariant(bytes: Uint8Array, size: number, label: string) {
  expect(String.fromCharCode(...bytes.subarray(0, 4)), label).toBe("RIFF");
  expect(String.fromCharCode(...bytes.subarray(8, 12)), label).toBe("WEBP");
  const chunks = webpChunks(bytes);
  for (const { fourcc } of chunks) expect(ALLOWED_CHUNKS.has(fourcc), `${label}: chunk ${fourcc}`).toBe(true);
  const vp8x = chunks.find((chunk) => chunk.fourcc === "VP8X");
  if (vp8x) expect((vp8x.data[0] ?? 0) & METADATA_OR_ANIMATION_FLAGS, `${label}: VP8X flags`).toBe(0);
  for (const text of FORBIDDEN_TEXT) expect(contains(bytes, text), `${label} contains ${text}`).toBe(false);
  const info = await env.IMAGES.info(new Blob([bytes]).stream());
  expect(info, label).toMatchObject({ format: "image/webp", width: size, height: size });
}
