import { dataView, matchesAt } from "./photo-image-bytes";

/** What starts the payload of a JPEG APP1 segment holding EXIF; the TIFF structure follows it. */
export const EXIF_ID = "Exif\0\0";

const ORIENTATION = 0x0112;
const SHORT = 3;

/**
 * The EXIF Orientation from a TIFF structure (EXIF without its "Exif\0\0"), in either byte order:
 * 2..8, or null when it is 1 (upright), absent, or anything on the way to it is malformed. The bytes
 * come from an upload, so every read is bounds-checked and nothing here throws.
 */
export function exifOrientation(tiff: Uint8Array): number | null {
  const little = matchesAt(tiff, 0, "II");
  if (!little && !matchesAt(tiff, 0, "MM")) return null;
  const view = dataView(tiff);
  // -1 for a read that would leave the buffer, which no check below accepts.
  const u16 = (at: number) => (at + 2 <= tiff.length ? view.getUint16(at, little) : -1);
  const u32 = (at: number) => (at + 4 <= tiff.length ? view.getUint32(at, little) : -1);
  if (u16(2) !== 42) return null;
  const ifd0 = u32(4);
  if (ifd0 < 0) return null;
  // IFD0: a 2-byte entry count, then 12-byte entries (tag, type, count, value).
  const count = u16(ifd0);
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    const tag = u16(entry);
    if (tag < 0) return null;
    if (tag !== ORIENTATION) continue;
    // A single SHORT fits in the 4-byte value field, so the value is inline, never behind an offset.
    const value = u16(entry + 8);
    return u16(entry + 2) === SHORT && u32(entry + 4) === 1 && value >= 2 && value <= 8 ? value : null;
  }
  return null;
}

/**
 * A minimal APP1 EXIF segment that carries nothing but the Orientation, so a browser still shows a
 * sideways-stored photo upright after stripping; big-endian ("MM") like the rest of the JPEG.
 * `orientation` is 2..8, as exifOrientation returns it, so its SHORT fits in one byte here.
 */
export function orientationSegment(orientation: number): Uint8Array {
  // biome-ignore format: one line per structure, as in the EXIF specification
  return Uint8Array.of(
    0xff, 0xe1, 0, 34, // APP1 marker, then the segment length (which counts itself)
    ...Array.from(EXIF_ID, (char) => char.charCodeAt(0)), // "Exif\0\0"
    0x4d, 0x4d, 0, 42, 0, 0, 0, 8, // TIFF header: "MM", 42, IFD0 right after the header
    0, 1, // IFD0 has one entry:
    0x01, 0x12, 0, SHORT, 0, 0, 0, 1, 0, orientation, 0, 0, // Orientation, SHORT, count 1, value
    0, 0, 0, 0, // no next IFD (so no thumbnail)
  );
}
