import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { dataExports } from "../src/db/schema";
import { signDownload } from "../src/features/data-export/signed-link";
import { clearFlagCache } from "../src/flags/flags";
import { newObjectId } from "../src/lib/ids";
import { watchD1 } from "./d1-observer";
import { FLAG, setFinalizeNowFlag } from "./deletion-helpers";
import { failing, failingImages } from "./fault-bindings";
import { progressiveJpeg } from "./fixtures";
import { apiWith, createUser, dbOf, onEveryShard, tokenFor } from "./helpers";
import { createConformance, type Document } from "./openapi-conformance";

// Document = server: requests covering every operation and every status the document gives it,
// each answer checked against /openapi.json (status, body schema, headers) with Ajv. The last test
// fails when a documented status was never produced.

type Probe = {
  method: string;
  /** The document's path template. */
  path: string;
  /** The URL path, when the template has parameters. */
  url?: string;
  token?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Bindings wrapped for fault injection. */
  env?: Partial<Env>;
};

function send(probe: Probe): Promise<Response> {
  const { method, path, url, env: overrides = {}, ...init } = probe;
  return apiWith(url ?? path, overrides, { method, ...init });
}

let document: Document;
let conformance: ReturnType<typeof createConformance>;

/** Sends the probe; fails unless the status is `status` and the document describes the answer. */
async function expectConforms(probe: Probe, status: number): Promise<Response> {
  return expectAnswerConforms(probe, await send(probe), status);
}

async function expectAnswerConforms(probe: Probe, response: Response, status: number): Promise<Response> {
  const seen = response.clone();
  const problems = await conformance.problems(probe.method, probe.path, response);
  const detail = response.status === status ? "" : await seen.text();
  expect({ status: response.status, problems, detail }, `${probe.method} ${probe.url ?? probe.path}`).toEqual(
    {
      status,
      problems: [],
      detail: "",
    },
  );
  return seen;
}

type DocumentedOperation = {
  method: string;
  path: string;
  url: string;
  secured: boolean;
  bodyType: string | undefined;
};

const EXAMPLE_PARAMS: Record<string, string> = { key: FLAG };

function apiOperations(): DocumentedOperation[] {
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith("/api/"))
    .flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        url: path.replace(/\{(\w+)\}/g, (_, name: string) => EXAMPLE_PARAMS[name] ?? name),
        secured: (operation.security ?? []).length > 0,
        bodyType: Object.keys(operation.requestBody?.content ?? {})[0],
      })),
    );
}

// Failures of the real bindings, one method each: D1 sessions that cannot be opened, R2 reads
// that fail, an Images binding that is down (not a file it cannot decode).
const failingDb = onEveryShard((shard) => watchD1(shard, { faults: { unavailable: true } }).d1);
const failingMedia = failing(env.MEDIA, ["get"], "rejects", "R2 is unavailable").binding;

const HEALTH = "/api/v1/health";
const PROFILE = "/api/v1/users/profile";
const USERNAME = "/api/v1/users/profile/username";
const PHOTO = "/api/v1/users/profile/photo";
const DELETION = "/api/v1/users/me/account-deletion";
const FINALIZE_NOW = `${DELETION}/finalize-now`;
const FLAGS = "/api/v1/admin/feature-flags";
const FLAG_PATH = `${FLAGS}/{key}`;
const MEDIA = "/media/profile-photos/{userId}/{file}";
const DATA_EXPORT = "/api/v1/users/me/data-export";
const DOWNLOAD = "/api/v1/data-exports/{exportId}/download";

const photoForm = () => {
  const form = new FormData();
  form.append("file", new File([progressiveJpeg], "photo.jpg", { type: "image/jpeg" }));
  return form;
};

const signedIn = async (overrides: Parameters<typeof createUser>[0] = {}) => {
  const user = await createUser(overrides);
  return { user, token: await tokenFor(user.id) };
};

beforeAll(async () => {
  const response = await send({ method: "GET", path: "/openapi.json" });
  document = (await response.json()) as Document;
  conformance = createConformance(document);
});

describe("every operation's shared statuses", () => {
  it("400 for a bad client header", async () => {
    for (const operation of apiOperations())
      await expectConforms({ ...operation, url: operation.url, headers: { "X-Platform": "ios" } }, 400);
  });

  it("401 without a token, on every authenticated operation", async () => {
    for (const operation of apiOperations().filter(({ secured }) => secured))
      await expectConforms(operation, 401);
  });

  it("429 with Retry-After once a client IP's tokens keep being refused", async () => {
    // TEST_TIGHT_LIMITER allows 2 a minute per key, in windows aligned to the clock: a window may
    // end between two requests, so the 429 comes by the 5th request at the latest.
    const limited = { AUTH_FAILURE_LIMITER: env.TEST_TIGHT_LIMITER };
    for (const operation of apiOperations().filter(({ secured }) => secured)) {
      const headers = { "cf-connecting-ip": `10.${crypto.getRandomValues(new Uint8Array(3)).join(".")}` };
      const probe = { ...operation, token: "garbage", env: limited, headers };
      let response = await send(probe);
      for (let sent = 1; response.status === 401 && sent < 5; sent += 1) response = await send(probe);
      await expectAnswerConforms(probe, response, 429);
    }
  });

  it("500 when D1 fails", async () => {
    // Each failure is logged as it should be; not on the test's output.
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { token } = await signedIn();
    // A download's link is checked before D1 is asked: a well-signed one reaches it.
    const exportId = newObjectId();
    const link = await signDownload(env.EXPORT_SIGNING_SECRET, exportId, new Date(Date.now() + 60_000));
    const signedUrl = `/api/v1/data-exports/${exportId}/download?expires=${link.expires}&signature=${link.signature}`;
    for (const operation of apiOperations().filter(({ path }) => path !== HEALTH)) {
      const url = operation.path === DOWNLOAD ? signedUrl : operation.url;
      await expectConforms({ ...operation, url, token, env: failingDb }, 500);
    }
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });

  it("500 from the health check only for a broken deployment (it never touches D1)", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const health = { method: "GET", path: HEALTH };
    await expectConforms({ ...health, env: failingDb }, 200);
    // A bad setting is read by CORS for a browser's request: the deployment's error, a 500.
    const browser = { origin: "http://localhost:8787" };
    await expectConforms({ ...health, headers: browser, env: { ACCOUNT_DELETION_GRACE_DAYS: "-1" } }, 500);
    logged.mockRestore();
  });

  it("413 for a body over the limit and 415 for a body of the wrong media type", async () => {
    const { token } = await signedIn({ roles: ["user", "admin"] });
    const tooLarge = "x".repeat(6 * 1024 * 1024);
    for (const operation of apiOperations().filter(({ bodyType }) => bodyType)) {
      const bodyType = operation.bodyType ?? "";
      await expectConforms(
        { ...operation, token, body: tooLarge, headers: { "content-type": bodyType } },
        413,
      );
      const wrongType = bodyType === "application/json" ? "text/plain" : "application/json";
      await expectConforms({ ...operation, token, body: "{}", headers: { "content-type": wrongType } }, 415);
    }
  });
});

describe("each operation's own statuses", () => {
  it("GET /health", async () => {
    await expectConforms({ method: "GET", path: "/api/v1/health" }, 200);
  });

  it("the revalidated reads: 200 with an ETag, then 304 without a body", async () => {
    const { token } = await signedIn();
    for (const path of ["/api/v1/users/me", "/api/v1/users/me/stats", DELETION]) {
      const first = await expectConforms({ method: "GET", path, token }, 200);
      const etag = first.headers.get("etag") ?? "";
      await expectConforms({ method: "GET", path, token, headers: { "If-None-Match": etag } }, 304);
    }
  });

  it("PUT /users/profile and PATCH /users/profile/username: 200, and 409 for what another user has", async () => {
    const other = await createUser();
    const { token } = await signedIn();
    const profile = {
      name: "Ada",
      surname: "Lovelace",
      interests: ["math"],
      countryCode: "90",
      phoneNumber: "5551234567",
    };
    await expectConforms({ method: "PUT", path: PROFILE, token, json: profile }, 200);
    await expectConforms(
      { method: "PUT", path: PROFILE, token, json: { ...profile, email: other.email } },
      409,
    );
    await expectConforms({ method: "PATCH", path: USERNAME, token, json: { username: other.username } }, 409);
    await expectConforms(
      { method: "PATCH", path: USERNAME, token, json: { username: `Conf_${Date.now()}` } },
      200,
    );
  });

  it("GET /users/username-availability: 200 for a free name and for a taken one", async () => {
    const other = await createUser();
    const { token } = await signedIn();
    const path = "/api/v1/users/username-availability";
    for (const name of [`free_${Date.now()}`, other.username ?? ""])
      await expectConforms({ method: "GET", path, url: `${path}?username=${name}`, token }, 200);
  });

  it("PATCH /users/profile/photo (200, 503), then the photo: 200, 304, 404 and 500", async () => {
    const { user, token } = await signedIn();
    const uploaded = await expectConforms({ method: "PATCH", path: PHOTO, token, body: photoForm() }, 200);
    const { data } = (await uploaded.json()) as { data: { profilePhoto: { url: string } } };
    const url = new URL(data.profilePhoto.url).pathname;
    const photo = await expectConforms({ method: "GET", path: MEDIA, url }, 200);
    const etag = photo.headers.get("etag") ?? "";
    await expectConforms({ method: "GET", path: MEDIA, url, headers: { "If-None-Match": etag } }, 304);
    const missing = `/media/profile-photos/${user.id}/${"0".repeat(24)}.webp`;
    await expectConforms({ method: "GET", path: MEDIA, url: missing }, 404);
    await expectConforms({ method: "GET", path: MEDIA, url: missing, env: { MEDIA: failingMedia } }, 500);
    await expectConforms(
      { method: "PATCH", path: PHOTO, token, body: photoForm(), env: { IMAGES: failingImages() } },
      503,
    );
  });

  it("account deletion: request, 409 twice, 403 on the locked profile, cancel, 409 with none pending", async () => {
    const { token } = await signedIn();
    await expectConforms({ method: "POST", path: DELETION, token, json: { reason: "testing" } }, 200);
    await expectConforms({ method: "POST", path: DELETION, token, json: {} }, 409);
    await expectConforms({ method: "PUT", path: PROFILE, token, json: { name: "A", surname: "B" } }, 403);
    await expectConforms({ method: "PATCH", path: USERNAME, token, json: { username: "locked_name" } }, 403);
    await expectConforms({ method: "PATCH", path: PHOTO, token, body: photoForm() }, 403);
    await expectConforms({ method: "DELETE", path: DELETION, token }, 200);
    await expectConforms({ method: "DELETE", path: DELETION, token }, 409);
  });

  it("finalize-now: 403 while the flag is off, 409 with nothing pending, 200 when pending", async () => {
    const { token } = await signedIn();
    await setFinalizeNowFlag(false);
    await expectConforms({ method: "POST", path: FINALIZE_NOW, token }, 403);
    await setFinalizeNowFlag(true);
    await expectConforms({ method: "POST", path: FINALIZE_NOW, token }, 409);
    await expectConforms({ method: "POST", path: DELETION, token }, 200);
    await expectConforms({ method: "POST", path: FINALIZE_NOW, token }, 200);
    await setFinalizeNowFlag(false);
    clearFlagCache();
  });

  it("feature flags: 200 for an admin, 403 for anyone else, 404 for an unknown key", async () => {
    const admin = await signedIn({ roles: ["user", "admin"] });
    const someone = await signedIn();
    const url = `${FLAGS}/${FLAG}`;
    await expectConforms({ method: "GET", path: FLAGS, token: admin.token }, 200);
    await expectConforms({ method: "GET", path: FLAGS, token: someone.token }, 403);
    await expectConforms(
      { method: "PUT", path: FLAG_PATH, url, token: admin.token, json: { enabled: false } },
      200,
    );
    await expectConforms(
      { method: "PUT", path: FLAG_PATH, url, token: someone.token, json: { enabled: true } },
      403,
    );
    const unknown = `${FLAGS}/no-such-flag`;
    await expectConforms(
      { method: "PUT", path: FLAG_PATH, url: unknown, token: admin.token, json: { enabled: true } },
      404,
    );
  });

  it("data export: 202, 409 while building, 200 for the state, and the signed download's 200, 403, 404, 429", async () => {
    const { token } = await signedIn();
    const started = await expectConforms({ method: "POST", path: DATA_EXPORT, token }, 202);
    await started.arrayBuffer();
    const state = await expectConforms({ method: "GET", path: DATA_EXPORT, token }, 200);
    const { data } = (await state.json()) as { data: { exportId: string; downloadUrl: string } };
    const link = new URL(data.downloadUrl);
    const url = `${link.pathname}${link.search}`;
    const tight = { DATA_EXPORT_DOWNLOAD_LIMITER: env.TEST_TIGHT_LIMITER };
    await expectConforms({ method: "GET", path: DOWNLOAD, url, env: tight }, 200);
    await expectConforms({ method: "GET", path: DOWNLOAD, url, env: tight }, 200);
    await expectConforms({ method: "GET", path: DOWNLOAD, url, env: tight }, 429);
    const tampered = url.replace(/signature=./, (start) =>
      start.endsWith("A") ? "signature=B" : "signature=A",
    );
    await expectConforms({ method: "GET", path: DOWNLOAD, url: tampered }, 403);
    const missing = newObjectId();
    const signed = await signDownload(env.EXPORT_SIGNING_SECRET, missing, new Date(Date.now() + 60_000));
    const gone = `/api/v1/data-exports/${missing}/download?expires=${signed.expires}&signature=${signed.signature}`;
    await expectConforms({ method: "GET", path: DOWNLOAD, url: gone }, 404);

    // An export still being built (its build runs after the response) refuses a second one.
    const building = await signedIn();
    const now = new Date();
    await dbOf(building.user.id)
      .insert(dataExports)
      .values({
        userId: building.user.id,
        id: newObjectId(),
        status: "building",
        objectKey: `exports/${building.user.id}/pending.json`,
        requestedAt: now,
        expiresAt: new Date(now.getTime() + 7 * 24 * 60 * 60 * 1000),
      });
    await expectConforms({ method: "POST", path: DATA_EXPORT, token: building.token }, 409);
  });
});

it("produced every status the document gives every operation", () => {
  expect(conformance.uncovered()).toEqual([]);
});
