import { describe, expect, it } from "vitest";
import { type ImageType, inspectImage, MAX_SIDE, MIN_SIDE } from "../src/features/photo/photo-image";
import {
  emptyIdatPng,
  gif,
  gpsJpeg,
  gpsPng,
  gpsWebp,
  headersOnlyJpeg,
  losslessWebp,
  lossyWebp,
  phonePhotos,
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

const image = (type: ImageType, width: number, height: number) => ({
  ok: true,
  image: { type, contentType: `image/${type}`, width, height },
});
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
    // Bytes after the first EOI are the other pictures of a multi-picture file, or a polyglot's
    // payload: either way only the decoder's re-encoded output is ever stored.
    ["JPEG with bytes after EOI", polyglotJpeg, image("jpeg", 40, 56)],
  ])("recognizes a %s and reads its size", (_, bytes, expected) => {
    expect(inspectImage(bytes)).toEqual(expected);
  });

  const phoneSizes: Record<string, [number, number]> = {
    "multi-picture JPEG (MPF)": [1600, 1200],
    "progressive JPEG": [1024, 768],
    "16-bit PNG": [240, 180],
    "animated WebP": [240, 180],
    "CMYK JPEG": [400, 300],
  };
  it.each(phonePhotos)("recognizes a $name and reads its size", ({ name, bytes, type }) => {
    const [width, height] = phoneSizes[name] ?? [];
    expect(inspectImage(bytes)).toEqual({
      ok: true,
      image: { type: type.slice(6), contentType: type, width, height },
    });
  });

  it.each([
    ["a GIF", gif],
    ["an SVG with a script", svg],
    ["HTML", encode("<!doctype html><html><script>alert(1)</script></html>")],
    ["plain text", encode("just some text, long enough to look like a file")],
    ["garbage", Uint8Array.from({ length: 256 }, (_, i) => (i * 7919) % 256)],
    ["an empty body", new Uint8Array(0)],
    ["a JPEG with headers and no scan (SOI, tables, SOF, EOI)", headersOnlyJpeg],
    ["a PNG whose only IDAT is empty", emptyIdatPng],
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
    ["PNG", gpsPng],
    ["WebP", gpsWebp],
    ["lossless WebP", losslessWebp],
  ])("refuses a truncated %s as unsupported", (_, bytes) => {
    for (const length of [bytes.length - 1, bytes.length - 12, Math.floor(bytes.length / 2), 20]) {
      expect(inspectImage(bytes.subarray(0, length)), `first ${length} bytes`).toEqual(unsupported);
    }
  });

  // Past the first scan's start a truncated JPEG is the decoder's to refuse (photo-upload.test.ts).
  it.each([
    ["JPEG", gpsJpeg],
    ["progressive JPEG", progressiveJpeg],
  ])("refuses a %s cut before its first scan data as unsupported", (_, bytes) => {
    const scan = indexOf(bytes, Uint8Array.of(0xff, 0xda));
    const scanData = scan + 2 + view(bytes).getUint16(scan + 2);
    for (const length of [scanData, scan + 3, scan, Math.floor(scan / 2), 20]) {
      expect(inspectImage(bytes.subarray(0, length)), `first ${length} bytes`).toEqual(unsupported);
    }
    expect(inspectImage(bytes.subarray(0, scanData + 1))).toEqual(inspectImage(bytes));
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

describe("inspectImage on damaged files", () => {
  // Every truncation and every single-byte corruption of each photo: the result must always be an
  // answer, never an exception (which would be a 500).
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
    let refused = 0;
    for (const variant of variants()) {
      const inspection = inspectImage(variant);
      if (inspection.ok) accepted++;
      else refused++;
    }
    // Corrupted pixel data is the decoder's business, so some variants pass the header check.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
