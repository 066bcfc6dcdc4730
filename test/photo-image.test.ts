import { describe, expect, it } from "vitest";
import {
  type ImageType,
  inspectImage,
  MAX_SIDE,
  MIN_SIDE,
  stripMetadata,
} from "../src/features/profile/photo-image";
import {
  gif,
  gpsJpeg,
  gpsPng,
  gpsWebp,
  losslessWebp,
  lossyWebp,
  pixelFloodPng,
  polyglotJpeg,
  progressiveJpeg,
  rotatedGpsJpeg,
  svg,
  tooSmallPng,
} from "./fixtures";

const encode = (text: string) => new TextEncoder().encode(text);
const html = encode("<html><script>alert(document.cookie)</script></html>");

function indexOf(haystack: Uint8Array, needle: string | Uint8Array, from = 0): number {
  const bytes = typeof needle === "string" ? encode(needle) : needle;
  for (
    let at = haystack.indexOf(bytes[0] ?? 0, from);
    at >= 0;
    at = haystack.indexOf(bytes[0] ?? 0, at + 1)
  ) {
    if (bytes.every((byte, i) => haystack[at + i] === byte)) return at;
  }
  return -1;
}
const contains = (haystack: Uint8Array, needle: string | Uint8Array) => indexOf(haystack, needle) >= 0;

function join(...parts: (Uint8Array | string)[]): Uint8Array {
  const bytes = parts.map((part) => (typeof part === "string" ? encode(part) : part));
  const out = new Uint8Array(bytes.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of bytes) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A copy of `bytes` edited through a DataView. */
function patched(bytes: Uint8Array, patch: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  patch(view(copy));
  return copy;
}

/** A WebP file from [fourcc, data] chunks, each padded to an even size as RIFF requires. */
function riff(...chunks: [string, Uint8Array][]): Uint8Array {
  const body = chunks.map(([fourcc, data]) => {
    const header = patched(join(fourcc, new Uint8Array(4)), (v) => v.setUint32(4, data.length, true));
    return join(header, data, new Uint8Array(data.length % 2));
  });
  return withRiffSize(join("RIFF", new Uint8Array(4), "WEBP", ...body));
}

/** Sets the RIFF size to cover the whole file, as if whatever is appended belonged to it. */
const withRiffSize = (bytes: Uint8Array) => patched(bytes, (v) => v.setUint32(4, bytes.length - 8, true));

/** `bytes` without the first PNG chunk of this type (its length field, type, data and CRC). */
function withoutPngChunk(bytes: Uint8Array, type: string): Uint8Array {
  const start = indexOf(bytes, type) - 4;
  const end = start + 12 + view(bytes).getUint32(start);
  return join(bytes.subarray(0, start), bytes.subarray(end));
}

/** The data of the first WebP chunk named `fourcc` in `bytes`. */
function webpChunk(bytes: Uint8Array, fourcc: string): Uint8Array {
  const at = indexOf(bytes, fourcc, 12);
  const size = view(bytes).getUint32(at + 4, true);
  return bytes.subarray(at + 8, at + 8 + size);
}

const image = (type: ImageType, width: number, height: number) => {
  const extension = type === "jpeg" ? "jpg" : type;
  return { ok: true, image: { type, contentType: `image/${type}`, extension, width, height } };
};
const unsupported = { ok: false, reason: "unsupported" };
const dimensions = { ok: false, reason: "dimensions" };

describe("inspectImage", () => {
  it.each([
    ["JPEG (baseline, with metadata)", gpsJpeg, image("jpeg", 64, 48)],
    ["JPEG (progressive)", progressiveJpeg, image("jpeg", 40, 56)],
    [
      "JPEG (fill bytes before a marker)",
      join(gpsJpeg.subarray(0, 2), Uint8Array.of(0xff, 0xff), gpsJpeg.subarray(2)),
      image("jpeg", 64, 48),
    ],
    ["PNG", gpsPng, image("png", 64, 48)],
    ["WebP (extended, VP8X canvas)", gpsWebp, image("webp", 64, 48)],
    ["WebP (simple lossy, VP8)", lossyWebp, image("webp", 40, 56)],
    ["WebP (simple lossless, VP8L)", losslessWebp, image("webp", 48, 40)],
  ])("recognizes a %s and reads its size", (_, bytes, expected) => {
    expect(inspectImage(bytes)).toEqual(expected);
  });

  it.each([
    ["a GIF", gif],
    ["an SVG with a script", svg],
    ["HTML", encode("<!doctype html><html><script>alert(1)</script></html>")],
    ["plain text", encode("just some text, long enough to look like a file")],
    ["garbage", Uint8Array.from({ length: 256 }, (_, i) => (i * 7919) % 256)],
    ["an empty body", new Uint8Array(0)],
    ["a JPEG with an HTML <script> appended after EOI (polyglot)", polyglotJpeg],
    ["a PNG with a ZIP appended after IEND (polyglot)", join(gpsPng, "PK\x03\x04 zipped payload")],
    ["a WebP with HTML appended past the RIFF size (polyglot)", join(gpsWebp, "<script>alert(1)</script>")],
    // Appended as a well-formed chunk, so only the RIFF size tells it is not part of the image.
    [
      "a WebP with a chunk appended past the RIFF size (polyglot)",
      join(gpsWebp, riff(["HTML", html]).subarray(12)),
    ],
  ])("refuses %s as unsupported", (_, bytes) => {
    expect(inspectImage(bytes)).toEqual(unsupported);
  });

  it.each([
    ["a 16x16 PNG", tooSmallPng],
    ["a small PNG whose IHDR claims 20000x20000 (pixel flood)", pixelFloodPng],
  ])("refuses %s for its dimensions", (_, bytes) => {
    expect(inspectImage(bytes)).toEqual(dimensions);
  });

  it("accepts sides from MIN_SIDE to MAX_SIDE inclusive", () => {
    // The VP8X canvas stores width-1 in 24 bits at byte 24 and carries no checksum, so it is easy to edit.
    const withWidth = (width: number) =>
      inspectImage(patched(gpsWebp, (v) => v.setUint16(24, width - 1, true)));
    expect(withWidth(MIN_SIDE)).toEqual(image("webp", 32, 48));
    expect(withWidth(MAX_SIDE)).toEqual(image("webp", 8192, 48));
    expect(withWidth(MIN_SIDE - 1)).toEqual(dimensions);
    expect(withWidth(MAX_SIDE + 1)).toEqual(dimensions);
  });

  it.each([
    ["JPEG", gpsJpeg],
    ["progressive JPEG", progressiveJpeg],
    ["PNG", gpsPng],
    ["WebP", gpsWebp],
    ["lossless WebP", losslessWebp],
  ])("refuses a truncated %s as unsupported", (_, bytes) => {
    for (const length of [bytes.length - 1, bytes.length - 12, Math.floor(bytes.length / 2), 20]) {
      expect(inspectImage(bytes.subarray(0, length)), `first ${length} bytes`).toEqual(unsupported);
    }
  });

  it("refuses a JPEG whose segment length runs past the end", () => {
    const app1 = indexOf(gpsJpeg, Uint8Array.of(0xff, 0xe1));
    expect(app1).toBeGreaterThan(0);
    expect(inspectImage(patched(gpsJpeg, (v) => v.setUint16(app1 + 2, 0xffff)))).toEqual(unsupported);
  });

  it.each([
    ["has no frame header (SOF)", (rest: Uint8Array) => rest],
    // The frame moved to just before EOI: present, but after the scan that needed it.
    [
      "has its frame header after the scan",
      (rest: Uint8Array, sof: Uint8Array) =>
        join(rest.subarray(0, rest.length - 2), sof, rest.subarray(rest.length - 2)),
    ],
  ])("refuses a JPEG that %s", (_, rebuild) => {
    const start = indexOf(gpsJpeg, Uint8Array.of(0xff, 0xc0));
    const end = start + 2 + view(gpsJpeg).getUint16(start + 2);
    const rest = join(gpsJpeg.subarray(0, start), gpsJpeg.subarray(end));
    expect(inspectImage(rebuild(rest, gpsJpeg.subarray(start, end)))).toEqual(unsupported);
  });

  it.each([
    ["a PNG without IEND", gpsPng.subarray(0, gpsPng.length - 12)],
    ["a PNG without IDAT", withoutPngChunk(gpsPng, "IDAT")],
    [
      "a PNG whose IHDR is not first",
      join(gpsPng.subarray(0, 8), withoutPngChunk(gpsPng, "IHDR").subarray(8)),
    ],
    ["an extended WebP with no frame", riff(["VP8X", webpChunk(gpsWebp, "VP8X")], ["ICCP", encode("icc!")])],
    ["a WebP ending in half a chunk header", withRiffSize(join(lossyWebp, "VP8X"))],
    [
      "a WebP whose VP8X is too short",
      riff(["VP8X", new Uint8Array(4)], ["VP8 ", webpChunk(lossyWebp, "VP8 ")]),
    ],
    ["a JPEG cut short after fill bytes", join(gpsJpeg.subarray(0, 2), Uint8Array.of(0xff, 0xff, 0xff))],
    // The COM segment (FF FE, length, text) turned into reserved marker FF 10.
    [
      "a JPEG with a reserved marker",
      patched(gpsJpeg, (v) => v.setUint8(indexOf(gpsJpeg, "fixture-jpeg-") - 3, 0x10)),
    ],
    ["a lossy WebP that is not a key frame", patched(lossyWebp, (v) => v.setUint8(20, v.getUint8(20) | 1))],
    ["a lossy WebP without the VP8 start code", patched(lossyWebp, (v) => v.setUint8(23, 0))],
    [
      "a lossless WebP of an unknown version",
      patched(losslessWebp, (v) => v.setUint8(24, v.getUint8(24) | 0x20)),
    ],
  ])("refuses %s as unsupported", (_, bytes) => {
    expect(inspectImage(bytes)).toEqual(unsupported);
  });
});

describe("inspectImage and stripMetadata on damaged files", () => {
  // Every truncation and every single-byte corruption of each photo: the result must always be an
  // answer (never an exception, which would be a 500), and an accepted file must strip cleanly.
  it.each([
    ["JPEG", gpsJpeg],
    ["progressive JPEG", progressiveJpeg],
    ["JPEG with EXIF Orientation", rotatedGpsJpeg],
    ["PNG", gpsPng],
    ["WebP", gpsWebp],
    ["lossy WebP", lossyWebp],
    ["lossless WebP", losslessWebp],
  ])("never throws on a damaged %s", (_, bytes) => {
    const variants = function* () {
      for (let length = 0; length < bytes.length; length++) yield bytes.subarray(0, length);
      for (let at = 0; at < bytes.length; at++)
        yield patched(bytes, (v) => v.setUint8(at, v.getUint8(at) ^ 0xff));
    };
    let accepted = 0;
    for (const variant of variants()) {
      const inspection = inspectImage(variant);
      if (!inspection.ok) continue;
      accepted++;
      expect(inspectImage(stripMetadata(variant, inspection.image.type))).toEqual(inspection);
    }
    // Corrupted pixel data is not the parser's business, so some variants are still accepted.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe("stripMetadata", () => {
  // Strings every metadata-carrying fixture holds before stripping: EXIF GPS (GPSMapDatum) and XMP.
  const secrets = ["fixture-gps-datum", "fixture-secret-location", "GPSLatitude", "http://ns.adobe.com/"];

  it.each([
    ["jpeg", gpsJpeg, ["Exif\0\0", "fixture-jpeg-comment"]],
    ["png", gpsPng, ["eXIf", "tEXt", "iTXt", "zTXt", "tIME", "fixture-png-text"]],
    ["webp", gpsWebp, ["EXIF", "XMP "]],
  ] as const)("removes GPS, XMP and text from the %s fixture", (type, bytes, typeSecrets) => {
    for (const secret of [...secrets, ...typeSecrets]) expect(contains(bytes, secret), secret).toBe(true);
    const stripped = stripMetadata(bytes, type);
    for (const secret of [...secrets, ...typeSecrets]) expect(contains(stripped, secret), secret).toBe(false);
  });

  it.each([
    ["jpeg", gpsJpeg, ["ICC_PROFILE\0", "fixture-icc-profile", "JFIF\0"]],
    ["png", gpsPng, ["iCCP", "pHYs", "gAMA", "cHRM", "PLTE"]],
    ["webp", gpsWebp, ["ICCP", "fixture-icc-profile"]],
  ] as const)("keeps the %s fixture's ICC profile and rendering data", (type, bytes, kept) => {
    const stripped = stripMetadata(bytes, type);
    for (const part of kept) expect(contains(stripped, part), part).toBe(true);
  });

  it.each([
    // From the first SOS to EOI: every scan, byte for byte.
    ["jpeg", gpsJpeg, gpsJpeg.subarray(indexOf(gpsJpeg, Uint8Array.of(0xff, 0xda)))],
    // IDAT (from its length field) and IEND.
    ["png", gpsPng, gpsPng.subarray(indexOf(gpsPng, "IDAT") - 4)],
    ["webp", gpsWebp, webpChunk(gpsWebp, "VP8 ")],
  ] as const)(
    "leaves the %s pixels untouched and the image the same type and size",
    (type, bytes, pixels) => {
      const stripped = stripMetadata(bytes, type);
      expect(stripped.length).toBeLessThan(bytes.length);
      expect(contains(stripped, pixels)).toBe(true);
      expect(inspectImage(stripped)).toEqual(inspectImage(bytes));
    },
  );

  it("clears the VP8X EXIF and XMP flags, keeps the ICC flag, and fixes the RIFF size", () => {
    const flags = (bytes: Uint8Array) => webpChunk(bytes, "VP8X")[0] ?? 0;
    expect(flags(gpsWebp) & 0x2c).toBe(0x2c);
    const stripped = stripMetadata(gpsWebp, "webp");
    expect(flags(stripped) & 0x2c).toBe(0x20);
    expect(view(stripped).getUint32(4, true)).toBe(stripped.length - 8);
  });

  it("keeps WebP chunk padding right around odd-sized chunks, and drops unknown chunks", () => {
    const odd = (text: string) => encode(text.length % 2 ? text : `${text}!`);
    const bytes = riff(
      ["VP8X", webpChunk(gpsWebp, "VP8X")],
      ["ICCP", odd("a kept odd-sized profile")],
      ["EXIF", odd("a dropped odd-sized EXIF")],
      ["ALPH", odd("kept alpha")],
      ["VP8 ", webpChunk(gpsWebp, "VP8 ")],
      ["XMP ", odd("a dropped odd-sized XMP")],
      ["HTML", odd("<script>alert(1)</script>")],
    );
    expect(inspectImage(bytes)).toEqual(image("webp", 64, 48));
    const stripped = stripMetadata(bytes, "webp");
    const expected = riff(
      ["VP8X", patched(webpChunk(gpsWebp, "VP8X"), (v) => v.setUint8(0, 0x20))],
      ["ICCP", odd("a kept odd-sized profile")],
      ["ALPH", odd("kept alpha")],
      ["VP8 ", webpChunk(gpsWebp, "VP8 ")],
    );
    expect(stripped).toEqual(expected);
    expect(inspectImage(stripped)).toEqual(image("webp", 64, 48));
  });

  it.each([
    ["jpeg", progressiveJpeg],
    ["png", tooSmallPng],
    ["webp", lossyWebp],
    ["webp", losslessWebp],
  ] as const)("returns an already clean %s unchanged, as a copy", (type, bytes) => {
    const stripped = stripMetadata(bytes, type);
    expect(stripped).toEqual(bytes);
    expect(stripped.buffer).not.toBe(bytes.buffer);
  });

  it.each([
    ["jpeg", gpsJpeg],
    ["jpeg", rotatedGpsJpeg],
    ["png", gpsPng],
    ["webp", gpsWebp],
  ] as const)("is idempotent on the %s fixture", (type, bytes) => {
    const once = stripMetadata(bytes, type);
    expect(stripMetadata(once, type)).toEqual(once);
  });

  it.each([
    ["a truncated JPEG", "jpeg", gpsJpeg.subarray(0, gpsJpeg.length - 100)],
    ["a PNG without IEND", "png", gpsPng.subarray(0, gpsPng.length - 12)],
    ["a WebP whose RIFF size is wrong", "webp", gpsWebp.subarray(0, gpsWebp.length - 2)],
    ["a JPEG polyglot", "jpeg", polyglotJpeg],
    ["a PNG said to be a JPEG", "jpeg", gpsPng],
    ["a GIF said to be a PNG", "png", gif],
    ["PNG chunks behind a broken signature", "png", patched(gpsPng, (v) => v.setUint8(1, 0))],
  ] as const)("throws on %s", (_, type, bytes) => {
    expect(() => stripMetadata(bytes, type)).toThrow();
  });
});

describe("stripMetadata and the JPEG EXIF Orientation", () => {
  const ORIENTATION = 0x0112;
  const [ASCII, SHORT, LONG] = [2, 3, 4];
  type IfdEntry = { tag: number; type: number; count: number; value: number };
  const orientation = (value: number): IfdEntry => ({ tag: ORIENTATION, type: SHORT, count: 1, value });

  /** A TIFF structure (what follows "Exif\0\0") whose IFD0 holds `entries`, in either byte order. */
  function tiff(order: "II" | "MM", entries: IfdEntry[]): Uint8Array {
    const little = order === "II";
    return patched(join(order, new Uint8Array(6 + 2 + entries.length * 12 + 4)), (v) => {
      v.setUint16(2, 42, little);
      v.setUint32(4, 8, little);
      v.setUint16(8, entries.length, little);
      entries.forEach(({ tag, type, count, value }, i) => {
        const at = 10 + i * 12;
        v.setUint16(at, tag, little);
        v.setUint16(at + 2, type, little);
        v.setUint32(at + 4, count, little);
        if (type === SHORT) v.setUint16(at + 8, value, little);
        else v.setUint32(at + 8, value, little);
      }); // the next-IFD offset stays 0
    });
  }

  const make: IfdEntry = { tag: 0x010f, type: ASCII, count: 4, value: 0x50686f00 }; // "Pho\0", inline
  const gpsIfd: IfdEntry = { tag: 0x8825, type: LONG, count: 1, value: 0x1234 }; // an offset, never followed
  /** IFD0 as a phone writes it: the camera, then (if given) the Orientation, then where GPS is. */
  const phone = (...entry: IfdEntry[]): IfdEntry[] => [make, ...entry, gpsIfd];

  const app1 = (payload: Uint8Array) =>
    join(
      patched(Uint8Array.of(0xff, 0xe1, 0, 0), (v) => v.setUint16(2, payload.length + 2)),
      payload,
    );
  const exifApp1 = (tiff: Uint8Array) => app1(join("Exif\0\0", tiff));

  /** Where the fixtures' JFIF APP0 ends, i.e. after SOI (2 bytes), APP0 marker and length (4) and its payload. */
  const afterApp0 = (jpeg: Uint8Array) => 4 + view(jpeg).getUint16(4);
  const clean = afterApp0(progressiveJpeg);
  /** The clean progressive JPEG with `segments` right after its APP0, where EXIF conventionally sits. */
  const withSegments = (...segments: Uint8Array[]) =>
    join(progressiveJpeg.subarray(0, clean), ...segments, progressiveJpeg.subarray(clean));

  /** Every APP1 EXIF segment before the first scan: where it starts, its TIFF length, IFD0 and next-IFD offset. */
  function exifSegments(jpeg: Uint8Array) {
    const found = [];
    for (let at = 2; jpeg[at + 1] !== 0xda; at += 2 + view(jpeg).getUint16(at + 2)) {
      if (jpeg[at + 1] !== 0xe1 || indexOf(jpeg, "Exif\0\0", at) !== at + 4) continue;
      const bytes = jpeg.subarray(at + 10, at + 2 + view(jpeg).getUint16(at + 2));
      const [v, little] = [view(bytes), bytes[0] === 0x49]; // "II"
      const ifd0 = v.getUint32(4, little);
      const entries = Array.from({ length: v.getUint16(ifd0, little) }, (_, i): IfdEntry => {
        const entry = ifd0 + 2 + i * 12;
        const type = v.getUint16(entry + 2, little);
        const value = type === SHORT ? v.getUint16(entry + 8, little) : v.getUint32(entry + 8, little);
        return { tag: v.getUint16(entry, little), type, count: v.getUint32(entry + 4, little), value };
      });
      const next = v.getUint32(ifd0 + 2 + entries.length * 12, little);
      found.push({ at, length: bytes.length, entries, next });
    }
    return found;
  }
  /** What stripping writes, as exifSegments reads it: 8 TIFF header bytes, 2 for the count, 12 for the
   * entry, 4 for the next-IFD offset. */
  const minimalExif = (at: number, value: number) => ({
    at,
    length: 26,
    entries: [orientation(value)],
    next: 0,
  });

  it("keeps only the Orientation of the rotated fixture's EXIF, right after APP0", () => {
    const [exif] = exifSegments(rotatedGpsJpeg);
    expect(exif?.entries).toContainEqual(orientation(6));
    expect(exif?.entries.map((entry) => entry.tag)).toContain(0x8825); // GPS IFD
    for (const secret of ["fixture-gps-datum", "fixture-camera-make"]) {
      expect(contains(rotatedGpsJpeg, secret), secret).toBe(true);
    }

    const stripped = stripMetadata(rotatedGpsJpeg, "jpeg");
    expect(exifSegments(stripped)).toEqual([minimalExif(afterApp0(rotatedGpsJpeg), 6)]);
    expect(indexOf(stripped, Uint8Array.of(0xff, 0xe1), afterApp0(stripped) + 1)).toBe(-1);
    for (const secret of ["fixture-gps-datum", "fixture-camera-make"]) {
      expect(contains(stripped, secret), secret).toBe(false);
    }
    expect(
      contains(stripped, rotatedGpsJpeg.subarray(indexOf(rotatedGpsJpeg, Uint8Array.of(0xff, 0xda)))),
    ).toBe(true);
    expect(inspectImage(stripped)).toEqual(image("jpeg", 64, 48));
    expect(inspectImage(stripped)).toEqual(inspectImage(rotatedGpsJpeg));
  });

  it.each([
    ["MM", 6],
    ["II", 6],
    ["MM", 8],
    ["II", 8],
    ["II", 2],
  ] as const)("keeps Orientation from %s (big/little-endian) EXIF with value %i", (order, value) => {
    const bytes = withSegments(exifApp1(tiff(order, phone(orientation(value)))));
    const stripped = stripMetadata(bytes, "jpeg");
    expect(exifSegments(stripped)).toEqual([minimalExif(clean, value)]);
    // Byte for byte: the clean image with a big-endian EXIF holding the Orientation alone.
    expect(stripped).toEqual(withSegments(exifApp1(tiff("MM", [orientation(value)]))));
  });

  it("puts the EXIF right after SOI when there is no JFIF APP0, and reads only the first EXIF", () => {
    const noApp0 = join(progressiveJpeg.subarray(0, 2), progressiveJpeg.subarray(clean));
    const bytes = join(
      noApp0.subarray(0, 2),
      exifApp1(tiff("II", phone(orientation(8)))),
      exifApp1(tiff("MM", [orientation(6)])),
      noApp0.subarray(2),
    );
    expect(exifSegments(stripMetadata(bytes, "jpeg"))).toEqual([minimalExif(2, 8)]);
  });

  it.each([
    ["a JPEG without EXIF", gpsJpeg],
    ["EXIF without Orientation", withSegments(exifApp1(tiff("MM", phone())))],
    [
      "big-endian EXIF with Orientation 1 (upright)",
      withSegments(exifApp1(tiff("MM", phone(orientation(1))))),
    ],
    ["little-endian EXIF with Orientation 1", withSegments(exifApp1(tiff("II", phone(orientation(1)))))],
  ])("writes no EXIF at all for %s", (_, bytes) => {
    const stripped = stripMetadata(bytes, "jpeg");
    expect(contains(stripped, "Exif")).toBe(false);
    expect(inspectImage(stripped)).toEqual(inspectImage(bytes));
  });

  const valid = tiff("MM", phone(orientation(6)));
  // Orientation is the second entry of IFD0, which starts at offset 8: 2 count bytes, 12 per entry.
  const orientationValue = 8 + 2 + 12 + 8;
  it.each([
    ["an APP1 holding only the EXIF id", new Uint8Array(0)],
    ["half a TIFF header", valid.subarray(0, 4)],
    ["an unknown byte order", join("XX", valid.subarray(2))],
    ['a mixed byte-order mark ("MI")', join("MI", valid.subarray(2))],
    ["a TIFF magic number other than 42", patched(valid, (v) => v.setUint16(2, 43))],
    ["an IFD0 offset past the end", patched(valid, (v) => v.setUint32(4, 0xffffffff))],
    ["an IFD0 offset to its own last byte", patched(valid, (v) => v.setUint32(4, valid.length - 1))],
    // Offset 0 reads "MM" (19789) as the entry count: entries run off the end, never past it.
    ["an IFD0 offset pointing back at the header", patched(valid, (v) => v.setUint32(4, 0))],
    ["more IFD0 entries claimed than present", tiff("MM", [make]).fill(0xff, 8, 10)],
    ["the IFD0 cut off mid-entry before the Orientation", valid.subarray(0, 8 + 2 + 5)],
    ["the Orientation cut off before its value", valid.subarray(0, orientationValue)],
    ["the Orientation cut off mid-value", valid.subarray(0, orientationValue + 1)],
    ["an Orientation that is a LONG", tiff("MM", phone({ ...orientation(6), type: LONG }))],
    ["an Orientation with a count of 2", tiff("II", phone({ ...orientation(6), count: 2 }))],
    ["an Orientation of 0", tiff("MM", phone(orientation(0)))],
    ["an Orientation of 9", tiff("II", phone(orientation(9)))],
    ["an Orientation of 0x0106", tiff("MM", phone(orientation(0x0106)))],
  ])("drops the EXIF without throwing for %s", (_, bytes) => {
    const jpeg = withSegments(exifApp1(bytes));
    expect(inspectImage(jpeg)).toEqual(image("jpeg", 40, 56));
    expect(stripMetadata(jpeg, "jpeg")).toEqual(progressiveJpeg);
  });

  it("survives the rotated fixture's EXIF cut at every length", () => {
    const start = afterApp0(rotatedGpsJpeg);
    const end = start + 2 + view(rotatedGpsJpeg).getUint16(start + 2);
    const exif = rotatedGpsJpeg.subarray(start + 10, end);
    const entries = exifSegments(rotatedGpsJpeg)[0]?.entries ?? [];
    // The Orientation survives once its entry is there up to its 2-byte value (IFD0 starts at offset 8).
    const needed = 8 + 2 + 12 * entries.findIndex((entry) => entry.tag === ORIENTATION) + 10;
    for (let length = 0; length <= exif.length; length++) {
      const bytes = join(
        rotatedGpsJpeg.subarray(0, start),
        exifApp1(exif.subarray(0, length)),
        rotatedGpsJpeg.subarray(end),
      );
      const stripped = stripMetadata(bytes, "jpeg");
      expect(exifSegments(stripped), `first ${length} bytes`).toEqual(
        length >= needed ? [minimalExif(start, 6)] : [],
      );
      expect(inspectImage(stripped)).toEqual(image("jpeg", 64, 48));
    }
  });
});
