import { concat, dataView, type Format, malformed, matchesAt } from "./photo-image-bytes";
import { EXIF_ID, exifOrientation, orientationSegment } from "./photo-image-exif";

/** A marker segment, from its 0xFF byte to its end; an SOS segment includes the scan data after it. */
type Segment = { marker: number; start: number; end: number };

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const COM = 0xfe;
const APP0 = 0xe0;
const APP1 = 0xe1;
// C4 (DHT), C8 (reserved) and CC (DAC) sit in the SOF range but are tables, not frame headers.
const isSof = (marker: number) => marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
const isApp = (marker: number) => marker >= 0xe0 && marker <= 0xef;

/** Splits a JPEG into segments; null when truncated, out of order, or followed by bytes after EOI. */
function segments(bytes: Uint8Array): Segment[] | null {
  const view = dataView(bytes);
  const list: Segment[] = [{ marker: SOI, start: 0, end: 2 }];
  let sawFrame = false;
  let pos = 2;
  while (pos + 2 <= bytes.length && bytes[pos] === 0xff) {
    const start = pos;
    const marker = view.getUint8(pos + 1);
    // A marker may be preceded by any number of 0xFF fill bytes.
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === EOI) {
      list.push({ marker, start, end: pos + 2 });
      // Anything after EOI is not image data: refusing it refuses image+HTML/ZIP polyglots.
      return sawFrame && pos + 2 === bytes.length ? list : null;
    }
    // Markers below C0 are reserved; a second SOI or a restart marker belongs nowhere here.
    if (marker < 0xc0 || marker === SOI || (marker >= 0xd0 && marker <= 0xd7)) return null;
    if (pos + 4 > bytes.length) return null;
    const length = view.getUint16(pos + 2);
    let end = pos + 2 + length;
    if (length < 2 || end > bytes.length) return null;
    if (isSof(marker)) {
      if (length < 8) return null;
      sawFrame = true;
    }
    if (marker === SOS) {
      if (!sawFrame) return null;
      end = scanEnd(bytes, end);
      if (end < 0) return null;
    }
    list.push({ marker, start, end });
    pos = end;
  }
  return null;
}

/** Where the entropy-coded data starting at `pos` ends: at the first real marker after it. */
function scanEnd(bytes: Uint8Array, pos: number): number {
  for (let at = bytes.indexOf(0xff, pos); at >= 0; at = bytes.indexOf(0xff, at + 1)) {
    const next = bytes[at + 1];
    if (next === undefined) return -1;
    // FF00 is an escaped data byte, FFD0-FFD7 are restart markers and FFFF is fill: all part of the scan.
    if (next !== 0x00 && next !== 0xff && (next < 0xd0 || next > 0xd7)) return at;
  }
  return -1;
}

/** Keeps what a decoder needs for colour (JFIF, ICC profile, Adobe transform); other APPn and COM are metadata. */
function isImageData(bytes: Uint8Array, { marker, start }: Segment): boolean {
  const id = start + 4;
  if (marker === APP0) return matchesAt(bytes, id, "JFIF\0");
  if (marker === 0xe2) return matchesAt(bytes, id, "ICC_PROFILE\0");
  if (marker === 0xee) return matchesAt(bytes, id, "Adobe");
  return marker !== COM && !isApp(marker);
}

export const jpeg: Format = {
  matches: (bytes) => matchesAt(bytes, 0, [0xff, SOI, 0xff]),

  size(bytes) {
    const frame = segments(bytes)?.find((segment) => isSof(segment.marker));
    if (!frame) return null;
    // Frame header after the length: precision (1 byte), height (2), width (2).
    const view = dataView(bytes);
    return { width: view.getUint16(frame.start + 7), height: view.getUint16(frame.start + 5) };
  },

  strip(bytes) {
    const list = segments(bytes) ?? malformed("JPEG");
    const kept = list.filter((s) => isImageData(bytes, s));
    const parts = kept.map((s) => bytes.subarray(s.start, s.end));
    // EXIF goes with the other metadata, but its Orientation is how the photo is meant to be shown:
    // without it a phone photo stored sideways would display sideways. Decoders read the first EXIF.
    const payload = (s: Segment) => bytes.subarray(s.start + 4, s.end);
    const exif = list.find((s) => s.marker === APP1 && matchesAt(payload(s), 0, EXIF_ID));
    const orientation = exif && exifOrientation(payload(exif).subarray(EXIF_ID.length));
    // Where EXIF conventionally sits: right after SOI and the JFIF APP0, if there is one.
    if (orientation) parts.splice(kept[1]?.marker === APP0 ? 2 : 1, 0, orientationSegment(orientation));
    return concat(parts);
  },
};
