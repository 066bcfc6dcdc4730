import { ApiError } from "../../lib/errors";
import { errorFields, log } from "../../lib/log";
import { PHOTO_SIZES, PHOTO_URL_SIZE, type PhotoSize } from "../../media-store/photo-keys";

export const VARIANT_CONTENT_TYPE = "image/webp";
/** What a client is told to wait when the Images binding is down. */
const IMAGES_RETRY_AFTER_SECONDS = 30;

// ImagesError codes that blame the input, not the service: 9412 not an image, 9413 over 100
// megapixels, 9520 an unsupported format, 9523 could not be decoded (locally: any sharp failure).
// Every other failure is the binding's, and the client may retry.
const UNDECODABLE_CODES = new Set([9412, 9413, 9520, 9523]);

function isUndecodable(error: unknown): boolean {
  return error instanceof Error && "code" in error && UNDECODABLE_CODES.has(Number(error.code));
}

function toApiError(error: unknown): ApiError {
  if (isUndecodable(error)) return new ApiError(415, [{ key: "photo.undecodable" }], { cause: error });
  log("error", "images binding failed", errorFields(error));
  return new ApiError(503, [{ key: "photo.processingUnavailable" }], {
    cause: error,
    headers: { "Retry-After": String(IMAGES_RETRY_AFTER_SECONDS) },
  });
}

async function squareWebp(images: ImagesBinding, bytes: Uint8Array, size: PhotoSize): Promise<Uint8Array> {
  const result = await images
    .input(new Blob([bytes]).stream())
    .transform({ width: size, height: size, fit: "cover" })
    .output({ format: VARIANT_CONTENT_TYPE });
  return new Uint8Array(await new Response(result.image()).arrayBuffer());
}

/**
 * Decodes the upload once (auto-oriented, first frame) into the largest square, then scales that
 * down to the others: the smaller sizes decode a small WebP instead of the original again. No
 * byte of the upload reaches the output, so no metadata, thumbnail or polyglot payload survives.
 */
export async function renderVariants(
  images: ImagesBinding,
  upload: Uint8Array,
): Promise<Record<PhotoSize, Uint8Array>> {
  const largest = await squareWebp(images, upload, PHOTO_URL_SIZE).catch((error: unknown) => {
    throw toApiError(error);
  });
  const variants = await Promise.all(
    PHOTO_SIZES.map(
      async (size) =>
        [size, size === PHOTO_URL_SIZE ? largest : await squareWebp(images, largest, size)] as const,
    ),
  ).catch((error: unknown) => {
    // Our own WebP failing to decode is the binding failing, never the client's file.
    throw toApiError(
      isUndecodable(error) ? new Error("a re-encoded variant did not decode", { cause: error }) : error,
    );
  });
  return Object.fromEntries(variants) as Record<PhotoSize, Uint8Array>;
}
