import { dataView, type Format, matchesAt } from "./photo-image-bytes";

const SOI = 0xd8;
const SOS = 0xda;
// C4 (DHT), C8 (reserved) and CC (DAC) sit in the SOF range but are tables, not frame headers.
const isSof = (marker: number) => marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);

/**
 * The frame header's offset, read from the segments before the first scan; null unless a frame
 * header comes before a scan that has entropy-coded data. Nothing after the first scan is read:
 * further scans (progressive), and the images a multi-picture (MPF, Ultra HDR) file appends after
 * its first EOI, are the decoder's business.
 */
function frameBeforeScan(bytes: Uint8Array): number | null {
  const view = dataView(bytes);
  let frame: number | null = null;
  let pos = 2;
  while (pos + 4 <= bytes.length && bytes[pos] === 0xff) {
    const marker = view.getUint8(pos + 1);
    // A marker may be preceded by any number of 0xFF fill bytes.
    if (marker === 0xff) {
      pos++;
      continue;
    }
    // Markers below C0 are reserved; SOI, EOI or a restart marker before the first scan belong nowhere.
    if (marker < 0xc0 || (marker >= 0xd0 && marker <= 0xd9)) return null;
    const length = view.getUint16(pos + 2);
    const end = pos + 2 + length;
    if (length < 2 || end > bytes.length) return null;
    if (isSof(marker)) {
      if (length < 8) return null;
      frame = pos;
    }
    // A headers-only file (no scan, or a scan with no data) has no pixels to decode.
    if (marker === SOS) return frame !== null && end < bytes.length && bytes[end] !== 0xff ? frame : null;
    pos = end;
  }
  return null;
}

export const jpeg: Format = {
  matches: (bytes) => matchesAt(bytes, 0, [0xff, SOI, 0xff]),

  size(bytes) {
    const frame = frameBeforeScan(bytes);
    if (frame === null || frame + 9 > bytes.length) return null;
    // Frame header after the length: precision (1 byte), height (2), width (2).
    const view = dataView(bytes);
    return { width: view.getUint16(frame + 7), height: view.getUint16(frame + 5) };
  },
};
