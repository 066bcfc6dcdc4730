import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { gpsJpeg } from "../fixtures";
import { createUser, tokenFor } from "../helpers";
import {
  authorizationValue,
  contentTypeValue,
  hostileJsonText,
  NAUGHTY_STRINGS,
  shortHostileString,
} from "./arbitraries";
import {
  describeAnswer,
  type FuzzRequest,
  flagsSnapshot,
  fuzzClient,
  fuzzParameters,
  headersFor,
  sendChecked,
  timeoutFor,
} from "./properties";

// Random methods and paths (known routes, their near misses, random and very long paths, broken
// percent-encoding), and bodies past the 16 KiB limit on every JSON route.

const FLAG = "account-deletion-finalize-now";
const BODY_LIMIT = 16 * 1024;
const client = fuzzClient("routes");

let userId: string;
let token: string;
let adminId: string;
let adminToken: string;
let photoPath = "/media/profile-photos/none/none.jpg";
let photoEtag = '"none"';

beforeAll(async () => {
  const user = await createUser();
  userId = user.id;
  token = await tokenFor(user.id);
  const admin = await createUser({ roles: ["user", "admin"] });
  adminId = admin.id;
  adminToken = await tokenFor(admin.id);
  // A stored photo, so that the media route also answers 200 and 304.
  const form = new FormData();
  form.append("file", new File([gpsJpeg], "me.jpg", { type: "image/jpeg" }));
  const upload = await client.send({
    method: "PATCH",
    path: "/api/v1/users/profile/photo",
    headers: headersFor({ token }),
    body: form,
  });
  photoPath = new URL(
    (JSON.parse(upload.text) as { data: { profilePhoto: { url: string } } }).data.profilePhoto.url,
  ).pathname;
  photoEtag = (await client.send({ path: photoPath })).headers.get("etag") ?? photoEtag;
});

const KNOWN = [
  "/",
  "/api",
  "/api/v1",
  "/api/v1/health",
  "/api/v1/users/me",
  "/api/v1/users/me/stats",
  "/api/v1/users/profile",
  "/api/v1/users/profile/username",
  "/api/v1/users/profile/photo",
  "/api/v1/users/me/account-deletion",
  "/api/v1/users/me/account-deletion/finalize-now",
  "/api/v1/admin/feature-flags",
  `/api/v1/admin/feature-flags/${FLAG}`,
  "/api/v2/users/me",
  "/docs",
  "/openapi.json",
  "/docs-assets/init.js",
  "<photo>",
  "/media/profile-photos",
];

const encoded = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80"; // what a lone surrogate would be in UTF-8, which is not UTF-8
  }
};

/** Known paths bent: case, slashes, dot segments, encodings, suffixes. */
const NEAR_MISSES: ((path: string) => string)[] = [
  (path) => `${path}/`,
  (path) => path.toUpperCase(),
  (path) => path.replaceAll("/", "//"),
  (path) => `${path}/..`,
  (path) => `${path}/./`,
  (path) => path.replace(/\/([^/]+)$/, "/%2e%2e/$1"),
  (path) => path.replaceAll("/", "%2F"),
  (path) => path.replace(/e/, "%65"),
  (path) => `${path};jsessionid=1`,
  (path) => `${path}%00`,
  (path) => `${path}/%`,
  (path) => `${path}/%E0%A4%A`,
  (path) => `${path}.json`,
];

const segment = fc.oneof(
  fc.webSegment(),
  shortHostileString.map(encoded),
  fc.constantFrom(...NAUGHTY_STRINGS),
  fc.constantFrom("%", "%ZZ", "%00", "%ff"),
);

const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...KNOWN), fc.constantFrom(...NEAR_MISSES))
      .map(([known, bend]) => bend(known)),
  },
  { weight: 2, arbitrary: fc.webPath() },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          "/api/v1",
          "/api/v1/users",
          "/api/v1/users/me",
          "/api/v1/admin/feature-flags",
          "/media/profile-photos",
          "/media/profile-photos/<user>",
        ),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
      )
      .map(([prefix, segments]) => `${prefix}/${segments.join("/")}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 500, max: 8_000 }).map((length) => `/api/v1/${"a/".repeat(length / 2)}`),
  },
);

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `?${q}`) },
  { weight: 1, arbitrary: shortHostileString.map((q) => `?q=${encoded(q)}&q=2&__proto__[x]=1`) },
);

const anyMethod = fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE");

/** The API's own method and path pairs, so that fuzzing also reaches the handlers. */
const ROUTES: [string, string][] = [
  ["GET", "/api/v1/health"],
  ["GET", "/api/v1/users/me"],
  ["GET", "/api/v1/users/me/stats"],
  ["PUT", "/api/v1/users/profile"],
  ["PATCH", "/api/v1/users/profile/username"],
  ["PATCH", "/api/v1/users/profile/photo"],
  ["POST", "/api/v1/users/me/account-deletion"],
  ["GET", "/api/v1/users/me/account-deletion"],
  ["DELETE", "/api/v1/users/me/account-deletion"],
  ["POST", "/api/v1/users/me/account-deletion/finalize-now"],
  ["GET", "/api/v1/admin/feature-flags"],
  ["PUT", `/api/v1/admin/feature-flags/${FLAG}`],
  ["GET", "/docs"],
  ["GET", "/openapi.json"],
  ["GET", "<photo>"],
];

const methodAndPath = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 3, arbitrary: fc.tuple(anyMethod, path) },
);

const resolve = (raw: string) => raw.replace("<photo>", photoPath).replace("<user>", userId);

describe("routes under fuzzing", () => {
  const ANY = 110;
  it(
    "answers any method on any path with an envelope (or a documented non-API answer), never a 5xx; a refused request changes nothing",
    async () => {
      const auth = fc.oneof(
        { weight: 3, arbitrary: fc.constant("token") },
        { weight: 1, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: authorizationValue },
      );
      const extras = fc.record(
        {
          "if-none-match": fc.constantFrom("<etag>", "*", 'W/"x"'),
          origin: fc.constantFrom("http://localhost:8787", "https://evil.example"),
          "access-control-request-method": fc.constantFrom("PUT", "DELETE", "GET"),
        },
        { requiredKeys: [] },
      );
      const body = fc.option(fc.record({ contentType: contentTypeValue, text: hostileJsonText }), {
        nil: undefined,
      });
      await fc.assert(
        fc.asyncProperty(
          methodAndPath,
          query,
          auth,
          extras,
          body,
          async ([verb, rawPath], search, credentials, extra, fuzzed) => {
            const headers: Record<string, string> = { ...extra };
            if (headers["if-none-match"] === "<etag>") headers["if-none-match"] = photoEtag;
            if (credentials === "token") headers.authorization = `Bearer ${token}`;
            else if (credentials !== null) headers.authorization = credentials;
            const sendsBody = fuzzed !== undefined && verb !== "GET" && verb !== "HEAD";
            if (sendsBody && fuzzed.contentType !== null) headers["content-type"] = fuzzed.contentType;
            const request: FuzzRequest = {
              method: verb,
              path: resolve(rawPath) + search,
              headers,
              body: sendsBody ? new TextEncoder().encode(fuzzed.text) : null,
            };
            fc.pre(URL.canParse(`http://localhost${request.path}`));
            await sendChecked(client, userId, request);
          },
        ),
        fuzzParameters(ANY),
      );
    },
    timeoutFor(ANY),
  );

  const OVERSIZED = 30;
  it(
    "answers 413 to a body over 16 KiB on every JSON route, with or without Content-Length, and changes nothing",
    async () => {
      const route = fc.constantFrom(
        { method: "PUT", path: "/api/v1/users/profile", admin: false },
        { method: "PATCH", path: "/api/v1/users/profile/username", admin: false },
        { method: "POST", path: "/api/v1/users/me/account-deletion", admin: false },
        { method: "PUT", path: `/api/v1/admin/feature-flags/${FLAG}`, admin: true },
      );
      const oversized = fc.record({
        size: fc.integer({ min: BODY_LIMIT + 1, max: 40_000 }),
        filler: fc.constantFrom("json", "bytes"),
        contentType: fc.oneof(fc.constant("application/json"), contentTypeValue),
        streamed: fc.oneof(
          { weight: 3, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
      });
      await fc.assert(
        fc.asyncProperty(route, oversized, async (target, { size, filler, contentType, streamed }) => {
          const bytes =
            filler === "json"
              ? new TextEncoder().encode(JSON.stringify({ name: "x".repeat(size) }))
              : new Uint8Array(size).fill(0x7b);
          const body = streamed ? chunked(bytes) : bytes;
          const flagsBefore = await flagsSnapshot();
          const { answer } = await sendChecked(client, target.admin ? adminId : userId, {
            method: target.method,
            path: target.path,
            headers: headersFor({ token: target.admin ? adminToken : token, contentType }),
            body,
          });
          expect(answer.status, describeAnswer(answer)).toBe(413);
          expect(await flagsSnapshot()).toEqual(flagsBefore);
        }),
        fuzzParameters(OVERSIZED),
      );
    },
    timeoutFor(OVERSIZED),
  );
});

/** The bytes as a stream of 4 KiB chunks, sent without Content-Length; produced only as the server reads. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 4096));
      at += 4096;
    },
  });
}
