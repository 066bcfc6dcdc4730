import { ascii, dataView, type Format, matchesAt } from "./photo-image-bytes";

/** A RIFF chunk; `end` includes the pad byte that follows odd-sized data. */
type Chunk = { fourcc: string; start: number; end: number; size: number };

const HEADER = 12; // "RIFF", file size - 8, "WEBP"
const FRAMES = new Set(["VP8 ", "VP8L", "ANMF"]);

/** The chunk list; null unless the chunks exactly fill the size the RIFF header declares. */
function chunks(bytes: Uint8Array): Chunk[] | null {
  const view = dataView(bytes);
  // A RIFF size short of the file means bytes appended (a polyglot's payload), a larger one truncation.
  if (bytes.length < HEADER || view.getUint32(4, true) !== bytes.length - 8) return null;
  const list: Chunk[] = [];
  for (let pos = HEADER; pos < bytes.length; ) {
    if (pos + 8 > bytes.length) return null;
    const size = view.getUint32(pos + 4, true);
    const end = pos + 8 + size + (size % 2);
    if (end > bytes.length) return null;
    list.push({ fourcc: ascii(bytes, pos, 4), start: pos, end, size });
    pos = end;
  }
  return list;
}

const uint24 = (view: DataView, at: number) => view.getUint16(at, true) | (view.getUint8(at + 2) << 16);

export const webp: Format = {
  matches: (bytes) =>
    matchesAt(bytes, 0, "RIFF") &&
    matchesAt(bytes, 8, "WEBP") &&
    ["VP8 ", "VP8L", "VP8X"].some((fourcc) => matchesAt(bytes, HEADER, fourcc)),

  size(bytes) {
    const list = chunks(bytes);
    const first = list?.[0];
    if (!list || !first) return null;
    const view = dataView(bytes);
    const data = first.start + 8;
    if (first.fourcc === "VP8X") {
      // Extended format: the canvas size is authoritative, but there must be a frame to draw on it.
      if (first.size < 10 || !list.some((c) => FRAMES.has(c.fourcc))) return null;
      return { width: uint24(view, data + 4) + 1, height: uint24(view, data + 7) + 1 };
    }
    if (first.fourcc === "VP8 ") {
      // Lossy: a key frame (bit 0 of the frame tag clear), start code 9D 01 2A, then 14-bit sizes.
      const keyFrame = first.size >= 10 && (view.getUint8(data) & 1) === 0;
      if (!keyFrame || !matchesAt(bytes, data + 3, [0x9d, 0x01, 0x2a])) return null;
      return {
        width: view.getUint16(data + 6, true) & 0x3fff,
        height: view.getUint16(data + 8, true) & 0x3fff,
      };
    }
    if (first.fourcc === "VP8L") {
      // Lossless: signature 2F, then width-1 and height-1 (14 bits each), alpha, and a 3-bit version of 0.
      if (first.size < 5 || view.getUint8(data) !== 0x2f) return null;
      const bits = view.getUint32(data + 1, true);
      if (bits >>> 29 !== 0) return null;
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    return null;
  },
};
