import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { craftedPhotos, gpsJpeg, gpsPng, gpsWebp, phonePhotos, rotatedGpsJpeg } from "./fixtures";
import { api, call, createUser, tokenFor, uploadPhoto } from "./helpers";
import { contains, expectCleanVariant } from "./photo-assertions";

// Every fixture goes through the upload and comes back through the media route: three square
// WebP variants, nothing of the upload's metadata in any stored object, and small enough to send.

const SIZES = ["96", "256", "512"] as const;
const SMALLEST_MAX_BYTES = 15 * 1024;

// The local decoder (sharp, as the Images binding runs through Miniflare) refuses these two
// outright; refusing is as safe as re-encoding, so the test accepts exactly what it observes.
const DECODER_REFUSES = new Set(["JPEG JPGn segments", "an unknown critical PNG chunk"]);

const accepted = [
  { name: "GPS JPEG", bytes: gpsJpeg, type: "image/jpeg", secret: "fixture-" },
  { name: "GPS PNG", bytes: gpsPng, type: "image/png", secret: "fixture-" },
  { name: "GPS WebP", bytes: gpsWebp, type: "image/webp", secret: "fixture-" },
  { name: "rotated GPS JPEG", bytes: rotatedGpsJpeg, type: "image/jpeg", secret: "fixture-" },
  ...phonePhotos.map((photo) => ({ ...photo, secret: "fixture-" })),
  ...craftedPhotos.filter((photo) => !DECODER_REFUSES.has(photo.name)),
];

describe("profile photo variants of every fixture", () => {
  it.each(accepted)("$name: stores three clean square WebP variants and serves each", async (fixture) => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const { photo } = await uploadPhoto(token, fixture.bytes, fixture.type);

    const served: Record<string, number> = {};
    for (const size of SIZES) {
      const response = await api(new URL(photo.variants[size]).pathname);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/webp");
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const bytes = new Uint8Array(await response.arrayBuffer());
      await expectCleanVariant(bytes, Number(size), `${fixture.name} ${size}`);
      served[size] = bytes.length;
    }
    expect(served["96"]).toBeLessThanOrEqual(SMALLEST_MAX_BYTES);

    // Every object under the user's prefix, not only the ones the row names.
    const listed = await env.MEDIA.list({ prefix: `profile-photos/${user.id}/` });
    expect(listed.objects).toHaveLength(3);
    for (const object of listed.objects) {
      const bytes = new Uint8Array(
        await ((await env.MEDIA.get(object.key))?.arrayBuffer() ?? new ArrayBuffer(0)),
      );
      expect(contains(bytes, fixture.secret), `${object.key} holds ${fixture.secret}`).toBe(false);
      await expectCleanVariant(bytes, Number(/-(\d+)\.webp$/.exec(object.key)?.[1]), object.key);
    }
  });

  it.each(craftedPhotos.filter((photo) => DECODER_REFUSES.has(photo.name)))(
    "$name: refused with 415 by the decoder, nothing stored",
    async ({ bytes, type, secret }) => {
      expect(contains(bytes, secret)).toBe(true);
      const user = await createUser();
      const token = await tokenFor(user.id);
      const form = new FormData();
      form.append("file", new File([bytes], "photo", { type }));
      const { status, body } = await call("/api/v1/users/profile/photo", {
        method: "PATCH",
        token,
        body: form,
      });
      expect(status).toBe(415);
      expect(body.errors).toEqual(["Unsupported media type", "file: could not be decoded as an image"]);
      expect((await env.MEDIA.list({ prefix: `profile-photos/${user.id}/` })).objects).toEqual([]);
    },
  );

  it("shows an Orientation-6 photo upright: the sideways-stored landscape becomes a portrait before the crop", async () => {
    // 1600x1200 stored sideways: auto-orientation makes it 1200x1600, so the binding's own info on
    // the upload and the variants agree only if orientation was applied before the square crop.
    const [multiPicture] = phonePhotos;
    if (!multiPicture) throw new Error("no fixture");
    const info = await env.IMAGES.info(new Blob([multiPicture.bytes]).stream());
    expect(info).toMatchObject({ width: 1600, height: 1200 });
    const oriented = await env.IMAGES.input(new Blob([multiPicture.bytes]).stream())
      .transform({ width: 300 })
      .output({ format: "image/webp" });
    const upright = await env.IMAGES.info(oriented.image());
    expect(upright).toMatchObject({ width: 300, height: 400 });
  });
});
