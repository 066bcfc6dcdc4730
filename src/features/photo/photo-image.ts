import type { Format } from "./photo-image-bytes";
import { jpeg } from "./photo-image-jpeg";
import { png } from "./photo-image-png";
import { webp } from "./photo-image-webp";

export const MIN_SIDE = 32;
export const MAX_SIDE = 8192;

export type ImageType = "jpeg" | "png" | "webp";
export type InspectedImage = {
  type: ImageType;
  contentType: "image/jpeg" | "image/png" | "image/webp";
  width: number;
  height: number;
};
export type ImageInspection =
  | { ok: true; image: InspectedImage }
  | { ok: false; reason: "unsupported" } // not JPEG/PNG/WebP by its bytes, malformed, or without pixel data
  | { ok: false; reason: "dimensions" }; // a recognized image whose width or height is outside 32..8192

const FORMATS = {
  jpeg: { format: jpeg, contentType: "image/jpeg" },
  png: { format: png, contentType: "image/png" },
  webp: { format: webp, contentType: "image/webp" },
} as const satisfies Record<
  ImageType,
  { format: Format } & Omit<InspectedImage, "type" | "width" | "height">
>;

const TYPES = Object.keys(FORMATS) as ImageType[];

/** The type by magic bytes alone: the client's Content-Type and file name are never trusted. */
const sniff = (bytes: Uint8Array) => TYPES.find((type) => FORMATS[type].format.matches(bytes));

/**
 * The cheap check before the Images binding decodes anything: recognizes a JPEG, PNG or WebP and
 * reads its size from the header, so a pixel flood (a small file claiming 20000x20000) is refused
 * before anything allocates for it. It never vouches for the bytes: only re-encoded output is stored.
 */
export function inspectImage(bytes: Uint8Array): ImageInspection {
  const type = sniff(bytes);
  const size = type && FORMATS[type].format.size(bytes);
  if (!type || !size) return { ok: false, reason: "unsupported" };
  const fits = (side: number) => side >= MIN_SIDE && side <= MAX_SIDE;
  if (!fits(size.width) || !fits(size.height)) return { ok: false, reason: "dimensions" };
  const { contentType } = FORMATS[type];
  return { ok: true, image: { type, contentType, width: size.width, height: size.height } };
}
