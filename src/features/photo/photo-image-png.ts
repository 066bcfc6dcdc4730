import { ascii, dataView, type Format, matchesAt } from "./photo-image-bytes";

type Chunk = { type: string; start: number; end: number };

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The chunk list; null unless IHDR comes first, an IDAT holds data and IEND ends the file exactly. */
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
      // PNG has no multi-picture form: bytes after IEND are a polyglot's payload (HTML, a ZIP...).
      const header = list[0];
      const wellFormed = header?.type === "IHDR" && header.end - header.start === 25;
      const hasPixels = list.some((c) => c.type === "IDAT" && c.end - c.start > 12);
      return wellFormed && pos === bytes.length && hasPixels ? list : null;
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
};
