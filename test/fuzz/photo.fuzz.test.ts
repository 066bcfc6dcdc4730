import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { photoVariantKeys } from "../../src/media-store/photo-keys";
import {
  emptyIdatPng,
  gif,
  gpsJpeg,
  gpsPng,
  gpsWebp,
  headersOnlyJpeg,
  losslessWebp,
  lossyWebp,
  pixelFloodPng,
  polyglotJpeg,
  progressiveJpeg,
  svg,
  tooSmallPng,
} from "../fixtures";
import { createUser, tokenFor } from "../helpers";
import {
  contentTypeValue,
  declaredTypeValue,
  fileName,
  mangledBytes,
  multipartBytes,
  type Part,
  partName,
} from "./arbitraries";
import {
  type FuzzRequest,
  fuzzClient,
  fuzzParameters,
  headersFor,
  type Snapshot,
  sendChecked,
  timeoutFor,
} from "./properties";

// PATCH /api/v1/users/profile/photo with hostile multipart bodies, for an editable and a locked account.

const PATH = "/api/v1/users/profile/photo";
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const client = fuzzClient("photo");

type ImageType = "image/jpeg" | "image/png" | "image/webp";
const IMAGES: { bytes: Uint8Array; type: ImageType }[] = [
  { bytes: gpsJpeg, type: "image/jpeg" },
  { bytes: progressiveJpeg, type: "image/jpeg" },
  { bytes: gpsPng, type: "image/png" },
  { bytes: gpsWebp, type: "image/webp" },
  { bytes: lossyWebp, type: "image/webp" },
  { bytes: losslessWebp, type: "image/webp" },
  // Bytes after EOI are accepted (multi-picture JPEGs); only the re-encoded pixels are stored.
  { bytes: polyglotJpeg, type: "image/jpeg" },
];
const UNSUPPORTED = [gif, svg, headersOnlyJpeg, emptyIdatPng];
const BAD_DIMENSIONS = [tooSmallPng, pixelFloodPng];

type Account = { id: string; token: string };
let editable: Account;
let locked: Account;

beforeAll(async () => {
  const user = await createUser();
  editable = { id: user.id, token: await tokenFor(user.id) };
  const now = Date.now();
  const pending = await createUser({
    accountDeletionStatus: "pending",
    accountDeletionRequestedAt: new Date(now),
    accountDeletionScheduledFor: new Date(now + 28 * 86_400_000),
  });
  locked = { id: pending.id, token: await tokenFor(pending.id) };
});

const partBytes = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...IMAGES.map((image) => image.bytes)) },
  { weight: 1, arbitrary: fc.constantFrom(...UNSUPPORTED, ...BAD_DIMENSIONS) },
  { weight: 3, arbitrary: mangledBytes(IMAGES.map((image) => image.bytes)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
);

const part: fc.Arbitrary<Part> = fc.record({
  name: partName,
  filename: fc.option(fileName),
  contentType: declaredTypeValue,
  bytes: partBytes,
});

const boundary = fc.oneof(
  fc.constant("----fuzz-boundary"),
  fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/),
);

/** The parts as the request body: through FormData, or hand-built with a right, wrong or missing boundary. */
const multipartRequest = fc.oneof(
  fc.record({ transport: fc.constant("form-data" as const), parts: fc.array(part, { maxLength: 4 }) }),
  fc.record({
    transport: fc.constant("raw" as const),
    parts: fc.array(part, { maxLength: 4 }),
    boundary,
    header: fc.oneof(
      fc.constantFrom(
        (b: string) => `multipart/form-data; boundary=${b}`,
        (b: string) => `multipart/form-data; boundary="${b}"`,
      ),
      contentTypeValue.map((value) => () => value),
      fc.constant(() => "multipart/form-data; boundary=not-the-boundary"),
    ),
  }),
);

/**
 * The body and content type that fetch makes of a FormData, or null when the client itself
 * refuses the parts (workerd: a name ending in a backslash, NUL or CR/LF in a file name).
 */
async function encodeForm(
  parts: readonly Part[],
): Promise<{ contentType: string | null; body: Uint8Array } | null> {
  try {
    const form = new FormData();
    for (const { name, filename, contentType, bytes } of parts) {
      if (filename === null) form.append(name, new TextDecoder().decode(bytes));
      else form.append(name, new File([bytes], filename, { type: contentType }));
    }
    const request = new Request("http://localhost/", { method: "PATCH", body: form });
    return {
      contentType: request.headers.get("content-type"),
      body: new Uint8Array(await request.arrayBuffer()),
    };
  } catch {
    return null;
  }
}

/**
 * Whether workerd's own form parser reads the body's `file` part as a file: it reads a part with
 * filename="" as a text field, and refuses a NUL in a file name (a 400 either way).
 */
async function parsesAsFile(encoded: { contentType: string | null; body: Uint8Array }): Promise<boolean> {
  const headers = encoded.contentType ? { "content-type": encoded.contentType } : undefined;
  const request = new Request("http://localhost/", { method: "PATCH", headers, body: encoded.body });
  return request
    .formData()
    .then((form) => form.get("file") instanceof File)
    .catch(() => false);
}

const upload = (account: Account, body: BodyInit, contentType: string | null = null): FuzzRequest => ({
  method: "PATCH",
  path: PATH,
  headers: headersFor({ token: account.token, contentType }),
  body,
});

/** After any request: every R2 object of the user is a variant of the current photo or queued for deletion (no orphans). */
function expectNoOrphans(after: Snapshot) {
  const current = (after.user[0] as { profile_photo_key: string | null } | undefined)?.profile_photo_key;
  const referenced = new Set(current ? Object.values(photoVariantKeys(current)) : []);
  const queued = new Set(after.outbox.map((row) => (row as { key: string }).key));
  for (const line of after.objects) {
    const key = line.split(" ")[0] ?? "";
    expect(referenced.has(key) || queued.has(key), `orphan object ${key}`).toBe(true);
  }
}

describe("PATCH /users/profile/photo under fuzzing", () => {
  const HOSTILE = 80;
  it(
    "answers every multipart body with an envelope, never a 5xx; a refused upload changes nothing and leaves no orphan",
    async () => {
      await fc.assert(
        fc.asyncProperty(multipartRequest, fc.boolean(), async (request, isLocked) => {
          const encoded =
            request.transport === "raw"
              ? {
                  contentType: request.header(request.boundary),
                  body: multipartBytes(request.parts, request.boundary),
                }
              : await encodeForm(request.parts);
          fc.pre(encoded !== null);
          const { contentType, body } = encoded;
          const account = isLocked ? locked : editable;
          const { after } = await sendChecked(client, account.id, upload(account, body, contentType));
          expectNoOrphans(after);
        }),
        fuzzParameters(HOSTILE),
      );
    },
    timeoutFor(HOSTILE),
  );

  const RULE = 50;
  it(
    "judges one file by its bytes: 200 for a photo (generic or matching type), 400 for a mismatch or bad size, 415 otherwise, 403 when locked",
    async () => {
      const declaredFor = (type: ImageType) =>
        fc.constantFrom<string>(
          type,
          "",
          "application/octet-stream",
          ...(type === "image/jpeg" ? ["image/jpg", "IMAGE/JPEG"] : []),
        );
      const file = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(...IMAGES).chain(({ bytes, type }) =>
            fc.record({
              kind: fc.constant("photo"),
              bytes: fc.constant(bytes),
              declared: declaredFor(type),
            }),
          ),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(...IMAGES).chain(({ bytes, type }) =>
            fc.record({
              kind: fc.constant("mismatch"),
              bytes: fc.constant(bytes),
              declared: fc.constantFrom<string>(
                ...["image/jpeg", "image/png", "image/webp"].filter((other) => other !== type),
              ),
            }),
          ),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant("dimensions"),
            bytes: fc.constantFrom(...BAD_DIMENSIONS),
            declared: fc.constantFrom("image/png", ""),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant("unsupported"),
            bytes: fc.constantFrom(...UNSUPPORTED),
            declared: declaredTypeValue,
          }),
        },
        {
          weight: 1,
          // A leading 0 byte: no JPEG, PNG or WebP signature.
          arbitrary: fc.record({
            kind: fc.constant("unsupported"),
            bytes: fc.uint8Array({ maxLength: 512 }).map((rest) => Uint8Array.of(0, ...rest)),
            declared: declaredTypeValue,
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant("too large"),
            bytes: fc.constant(gpsJpeg),
            declared: fc.constant("image/jpeg"),
          }),
        },
      );
      const expected = {
        photo: 200,
        mismatch: 400,
        dimensions: 400,
        unsupported: 415,
        "too large": 413,
      } as const;
      await fc.assert(
        fc.asyncProperty(file, fc.boolean(), fileName, async ({ kind, bytes, declared }, isLocked, name) => {
          const account = isLocked ? locked : editable;
          const content = kind === "too large" ? padded(bytes, MAX_PHOTO_BYTES + 1) : bytes;
          const encoded = await encodeForm([
            { name: "file", filename: name, contentType: declared, bytes: content },
          ]);
          fc.pre(encoded !== null && (await parsesAsFile(encoded)));
          const request = upload(account, encoded.body, encoded.contentType);
          const { answer, body, after } = await sendChecked(client, account.id, request);
          expectNoOrphans(after);
          const status = kind === "photo" && isLocked ? 403 : expected[kind as keyof typeof expected];
          expect(
            answer.status,
            `${kind} declared as ${JSON.stringify(declared)}: ${answer.text.slice(0, 300)}`,
          ).toBe(status);
          if (answer.status !== 200) return;
          const photo = (body?.data as { profilePhoto: { url: string } | null } | undefined)?.profilePhoto;
          expect(photo?.url).toContain(`/profile-photos/${account.id}/`);
          // The three variants of the new photo; the replaced ones are gone.
          expect(after.objects).toHaveLength(3);
        }),
        fuzzParameters(RULE),
      );
    },
    timeoutFor(RULE),
  );
});

function padded(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
