import { ascii, concat, dataView, type Format, malformed, matchesAt } from "./photo-image-bytes";

type Chunk = { type: string; start: number; end: number };

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// Ancillary chunks that change how the pixels look or animate. Every other ancillary chunk is metadata:
// eXIf, tEXt, iTXt, zTXt, tIME, and private ones such as caBX (C2PA) or prVW (a preview image).
const RENDERING = new Set([
  ...["tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCV", "cLLI"],
  ...["bKGD", "hIST", "pHYs", "sPLT", "acTL", "fcTL", "fdAT"],
]);
// Critical chunks (upper-case first letter, e.g. IHDR, PLTE, IDAT, IEND) are needed to decode at all.
const isCritical = (type: string) => type[0] === type[0]?.toUpperCase();

/** The chunk list; null unless IHDR comes first, IDAT is present and IEND ends the file exactly. */
function chunks(bytes: Uint8Array): Chunk[] | null {
  const view = dataView(bytes);
  const list: Chunk[] = [];
  // Each chunk is length (4), type (4), data (length) and CRC (4). CRCs are left to the decoder.
  for (let pos = SIGNATURE.length; pos + 12 <= bytes.length; ) {
    const type = ascii(bytes, pos + 4, 4);
    const end = pos + 12 + view.getUint32(pos);
    if (!/^[A-Za-z]{4}$/.test(type) || end > bytes.length) return null;
    list.push({ type, start: pos, end });
    pos = end;
    if (type === "IEND") {
      // Bytes after IEND would be a polyglot's payload (HTML, a ZIP...), so they are refused.
      const header = list[0];
      const wellFormed = header?.type === "IHDR" && header.end - header.start === 25;
      return wellFormed && pos === bytes.length && list.some((c) => c.type === "IDAT") ? list : null;
    }
  }
  return null;
}

export const png: Format = {
  matches: (bytes) => matchesAt(bytes, 0, SIGNATURE) && matchesAt(bytes, 12, "IHDR"),

  size(bytes) {
    if (!chunks(bytes)) return null;
    const view = dataView(bytes);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  },

  strip(bytes) {
    const list = chunks(bytes) ?? malformed("PNG");
    const kept = list.filter((c) => isCritical(c.type) || RENDERING.has(c.type));
    // Whole chunks are copied with their CRCs, so nothing needs recomputing.
    return concat([bytes.subarray(0, SIGNATURE.length), ...kept.map((c) => bytes.subarray(c.start, c.end))]);
  },
};
