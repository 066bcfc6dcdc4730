import * as z from "zod";
import { envelopeOf } from "../../lib/envelope";
import { apiRoute } from "../../lib/route";
import { UserSchema } from "../../users/user-view";
import { MAX_PHOTO_BYTES } from "./photo.service";
import { ProfileUpdateSchema, UsernameChangeSchema } from "./profile.schemas";

const userResponse = {
  200: {
    description: "The updated user",
    content: { "application/json": { schema: envelopeOf(UserSchema) } },
  },
};

export const putProfile = apiRoute(
  {
    method: "put",
    path: "/users/profile",
    operationId: "updateProfile",
    tags: ["Profile"],
    summary: "Profil güncelle (tam) / Replace the profile",
    description:
      "Kullanıcının tüm profil bilgilerini günceller. Full replacement: `name` and `surname` are required; " +
      "an editable field left out is cleared; any other key (read-only ones included) is a 400 naming it. " +
      "A taken email is 409. Refused with 403 while the account is pending deletion. The example holds every " +
      "editable field: Try it out saves exactly what it shows (put your own values in), and a field deleted " +
      "from it is cleared.",
    request: { body: { required: true, content: { "application/json": { schema: ProfileUpdateSchema } } } },
    responses: userResponse,
  },
  { mutates: true, authentication: "token", errors: [403, 409] },
);

export const patchUsername = apiRoute(
  {
    method: "patch",
    path: "/users/profile/username",
    operationId: "changeUsername",
    tags: ["Profile"],
    summary: "Kullanıcı adı değiştir / Change the username",
    description:
      "30 günde bir kullanıcı adını değiştirir. 3 to 30 characters of a-z 0-9 . _, lowercased; reserved " +
      "names are refused (400); the same name is 400; a taken one 409; within the cooldown " +
      "(USERNAME_CHANGE_COOLDOWN_DAYS, default 30) 409 with the date of the next allowed change. " +
      "Lookalikes of reserved and staff names are 400. A given-up name is held for its owner for " +
      "USERNAME_HOLD_DAYS (default 14): others get 409, the owner may take it back once, even within the cooldown.",
    request: { body: { required: true, content: { "application/json": { schema: UsernameChangeSchema } } } },
    responses: userResponse,
  },
  { mutates: true, authentication: "token", errors: [403, 409] },
);

const PhotoUploadSchema = z
  .object({
    file: z.instanceof(File, { error: "photo.fileField" }).openapi({
      type: "string",
      format: "binary",
      description: "Profil fotoğrafı (JPEG, PNG or WebP, at most 5 MiB)",
      maxLength: MAX_PHOTO_BYTES,
    }),
  })
  .openapi("PhotoUpload");

export const patchPhoto = apiRoute(
  {
    method: "patch",
    path: "/users/profile/photo",
    operationId: "uploadProfilePhoto",
    tags: ["Profile"],
    summary: "Profil fotoğrafı güncelle / Replace the profile photo",
    description:
      "Kullanıcının profil fotoğrafını günceller. JPEG (multi-picture and Ultra HDR included), PNG or WebP " +
      "recognized by its bytes (a declared type that disagrees is 400, other types or a file that cannot be " +
      "decoded 415), at most 5 MiB (413), each side 32 to 8192 pixels (checked from the header before " +
      "decoding). The Images binding re-encodes it into square WebP variants at 96, 256 and 512 px, " +
      "auto-oriented; only those are stored, so no metadata survives. When the binding fails: 503 with " +
      "Retry-After, the previous photo untouched.",
    request: {
      body: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: PhotoUploadSchema,
            encoding: { file: { contentType: "image/jpeg, image/png, image/webp" } },
          },
        },
      },
    },
    responses: userResponse,
  },
  // Room for the multipart framing around a file of the maximum size.
  {
    mutates: true,
    authentication: "token",
    errors: [403, 503],
    maxBodyBytes: MAX_PHOTO_BYTES + 64 * 1024,
    limiters: ["PHOTO_UPLOAD_LIMITER"],
  },
);
