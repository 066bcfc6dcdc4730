import { describe, expect, it, vi } from "vitest";
import { watchD1 } from "./d1-observer";
import {
  api,
  apiWith,
  call,
  createUser,
  type Envelope,
  ISO_UTC,
  messageOf,
  onEveryShard,
  tokenFor,
} from "./helpers";

const ENVELOPE_KEYS = ["data", "errors", "isSuccess", "statusCode", "timestamp"];

/** Checks the error envelope's shape: exactly its five keys, `data` null, a fresh ISO timestamp. */
function expectErrorEnvelope(status: number, body: Envelope) {
  expect(Object.keys(body).sort()).toEqual(ENVELOPE_KEYS);
  expect(body.isSuccess).toBe(false);
  expect(body.statusCode).toBe(status);
  expect(body.data).toBeNull();
  expect(body.errors.length).toBeGreaterThanOrEqual(1);
  expect(body.timestamp).toMatch(ISO_UTC);
  expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
}

/** Every shard's D1 is unreachable, with a detail that must never reach the client. */
const SECRET_DETAIL = "D1_ERROR: disk I/O at /var/secret/shard-7";
const fetchWithBrokenDb = (path: string, headers: Record<string, string> = {}) =>
  apiWith(
    path,
    onEveryShard((shard) => watchD1(shard, { faults: { unavailable: true, message: SECRET_DETAIL } }).d1),
    { headers },
  );

describe("success envelope", () => {
  it("wraps data with isSuccess, statusCode 200, empty errors and an ISO timestamp", async () => {
    const { response, status, body } = await call("/api/v1/health");
    expect(status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Object.keys(body).sort()).toEqual(ENVELOPE_KEYS);
    expect(body).toMatchObject({ isSuccess: true, statusCode: 200, data: { status: "ok" }, errors: [] });
    expect(body.timestamp).toMatch(ISO_UTC);
  });
});

describe("error envelopes", () => {
  it("400 for a bad client header", async () => {
    const { status, body } = await call("/api/v1/health", { headers: { "X-Platform": "ios" } });
    expect(status).toBe(400);
    expectErrorEnvelope(400, body);
    expect(body.errors[0]).toBe(messageOf("status.400"));
  });

  it("401 for a missing token, with the RFC 6750 challenge and the reason", async () => {
    const { status, body, response } = await call("/api/v1/users/me");
    expect(status).toBe(401);
    expectErrorEnvelope(401, body);
    expect(body.errors).toEqual([messageOf("status.401"), messageOf("auth.missing")]);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  });

  it.each(["/api/v1/nope", "/nope", "/api/v2/users/me"])("404 for the unknown route %s", async (path) => {
    const { response, status, body } = await call(path);
    expect(status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expectErrorEnvelope(404, body);
    expect(body.errors).toEqual([messageOf("status.404")]);
  });

  it("405 with Allow for a known path with a method it does not serve", async () => {
    const { response, status, body } = await call("/api/v1/health", { method: "DELETE" });
    expect(status).toBe(405);
    expectErrorEnvelope(405, body);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect(body.errors).toEqual([
      messageOf("status.405"),
      messageOf("request.methodNotAllowed", "en", { method: "DELETE", allowed: "GET, HEAD" }),
    ]);
  });

  it("405 lists every method of a path with several, and names them in Turkish too", async () => {
    const { response, status, body } = await call("/api/v1/users/me/account-deletion", {
      method: "PUT",
      headers: { "accept-language": "tr" },
    });
    expect(status).toBe(405);
    expect(response.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD", "POST"]);
    expect(body.errors[0]).toBe("Yönteme izin verilmiyor");
    expect(body.errors[1]).toMatch(/^Bu yolda PUT kullanılamaz; izin verilenler: /);
  });

  it("405 for a path with parameters, outside /api too", async () => {
    const photo = await call("/media/profile-photos/507f1f77bcf86cd799439011/x.jpg", { method: "POST" });
    expect(photo.status).toBe(405);
    expect(photo.response.headers.get("allow")).toBe("GET, HEAD");
    const docs = await call("/openapi.json", { method: "DELETE" });
    expect(docs.status).toBe(405);
  });

  it("the same call with the real DB succeeds (so the 500 below is the DB's doing)", async () => {
    const user = await createUser();
    const response = await apiWith("/api/v1/users/me", {}, { token: await tokenFor(user.id) });
    expect(response.status).toBe(200);
  });

  it("500 says only the generic message, never the failure's detail; the detail goes to the log", async () => {
    const logged = vi.spyOn(console, "error");
    const user = await createUser();
    const response = await fetchWithBrokenDb("/api/v1/users/me", {
      authorization: `Bearer ${await tokenFor(user.id)}`,
      "x-request-id": "broken-db-1",
    });
    expect(response.status).toBe(500);
    const text = await response.text();
    const body = JSON.parse(text) as Envelope;
    expectErrorEnvelope(500, body);
    expect(body.errors).toEqual([messageOf("status.500")]);
    expect(text).not.toContain("D1_ERROR");
    expect(text).not.toContain("secret");
    expect(text).not.toMatch(/stack|at \w+ \(/i);
    expect(response.headers.get("x-request-id")).toBe("broken-db-1");
    const lines = logged.mock.calls.map((args) => args.map(String).join(" "));
    expect(lines.some((line) => line.includes(SECRET_DETAIL) && line.includes("broken-db-1"))).toBe(true);
    logged.mockRestore();
  });

  it("500 in Turkish", async () => {
    const user = await createUser();
    const response = await fetchWithBrokenDb("/api/v1/users/me", {
      authorization: `Bearer ${await tokenFor(user.id)}`,
      "accept-language": "tr",
    });
    expect(response.status).toBe(500);
    expect(response.headers.get("content-language")).toBe("tr");
    expect(((await response.json()) as Envelope).errors).toEqual([messageOf("status.500", "tr")]);
  });
});

describe("errors[0] is the seed's text in the request's language", () => {
  const cases: { what: string; path: string; headers: Record<string, string>; en: string; tr: string }[] = [
    {
      what: "400",
      path: "/api/v1/health",
      headers: { "X-Timezone": "Mars/Olympus" },
      en: "Validation failed",
      tr: "Doğrulama başarısız",
    },
    {
      what: "401",
      path: "/api/v1/users/me",
      headers: {},
      en: "Authentication required",
      tr: "Kimlik doğrulaması gerekli",
    },
    { what: "404", path: "/api/v1/nope", headers: {}, en: "Resource not found", tr: "Kaynak bulunamadı" },
  ];

  for (const { what, path, headers, en, tr } of cases) {
    it(`${what} without Accept-Language is English`, async () => {
      const { response, body } = await call(path, { headers });
      expect(body.errors[0]).toBe(en);
      expect(response.headers.get("content-language")).toBe("en");
    });

    it(`${what} with Accept-Language tr-TR,tr;q=0.9 is Turkish`, async () => {
      const { response, body } = await call(path, {
        headers: { ...headers, "Accept-Language": "tr-TR,tr;q=0.9" },
      });
      expect(body.errors[0]).toBe(tr);
      expect(response.headers.get("content-language")).toBe("tr");
    });

    it(`${what} with the unsupported Accept-Language de falls back to English`, async () => {
      const { response, body } = await call(path, { headers: { ...headers, "Accept-Language": "de" } });
      expect(body.errors[0]).toBe(en);
      expect(response.headers.get("content-language")).toBe("en");
    });
  }

  it("negotiates by quality: de first, tr second gives tr", async () => {
    const { response, body } = await call("/api/v1/nope", {
      headers: { "Accept-Language": "de-DE,tr;q=0.5" },
    });
    expect(body.errors[0]).toBe(messageOf("status.404", "tr"));
    expect(response.headers.get("content-language")).toBe("tr");
  });

  it("Content-Language is on successes too", async () => {
    const tr = await api("/api/v1/health", { headers: { "Accept-Language": "tr" } });
    expect(tr.headers.get("content-language")).toBe("tr");
    const en = await api("/api/v1/health");
    expect(en.headers.get("content-language")).toBe("en");
  });
});

describe("X-Request-Id", () => {
  it("echoes the client's id", async () => {
    const response = await api("/api/v1/health", { headers: { "X-Request-Id": "client-req-123" } });
    expect(response.headers.get("x-request-id")).toBe("client-req-123");
  });

  it("echoes the client's id on errors too", async () => {
    const notFound = await api("/nope", { headers: { "X-Request-Id": "client-req-404" } });
    expect(notFound.headers.get("x-request-id")).toBe("client-req-404");
    const badHeader = await api("/api/v1/health", {
      headers: { "X-Request-Id": "client-req-400", "X-Platform": "x" },
    });
    expect(badHeader.status).toBe(400);
    expect(badHeader.headers.get("x-request-id")).toBe("client-req-400");
  });

  it("generates a fresh id when absent", async () => {
    const first = (await api("/api/v1/health")).headers.get("x-request-id");
    const second = (await api("/api/v1/health")).headers.get("x-request-id");
    expect(first).toMatch(/^[\w=-]{8,255}$/);
    expect(second).toMatch(/^[\w=-]{8,255}$/);
    expect(first).not.toBe(second);
  });

  it("replaces an id with unsafe characters instead of echoing it", async () => {
    const response = await api("/api/v1/health", {
      headers: { "X-Request-Id": "<script>alert(1)</script>" },
    });
    const id = response.headers.get("x-request-id");
    expect(id).toBeTruthy();
    expect(id).not.toContain("<");
  });
});

describe("secure headers", () => {
  it.each(["/api/v1/health", "/api/v1/users/me", "/nope"])("are on %s", async (path) => {
    const response = await api(path);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = response.headers.get("content-security-policy");
    expect(csp).toBeTruthy();
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
  });
});

describe("CORS", () => {
  const ALLOWED = "http://localhost:8787";
  const OTHER = "https://evil.example";

  function preflight(origin: string) {
    return api("/api/v1/users/me", {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization,x-timezone,x-platform",
      },
    });
  }

  it("a listed origin's preflight is answered with that origin echoed", async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-allow-methods")).toMatch(/\bGET\b/);
    const allowHeaders = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const header of ["authorization", "x-timezone", "x-platform"])
      expect(allowHeaders).toContain(header);
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("a listed origin's GET gets the origin echoed, with the contract's headers exposed", async () => {
    const response = await api("/api/v1/health", { headers: { Origin: ALLOWED } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("vary") ?? "").toMatch(/origin/i);
    const exposed = (response.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    expect(exposed).toContain("x-request-id");
    expect(exposed).toContain("content-language");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("a listed origin can read error envelopes too", async () => {
    const response = await api("/api/v1/users/me", { headers: { Origin: ALLOWED } });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it("an unlisted origin's preflight gets no Access-Control-Allow-Origin", async () => {
    const response = await preflight(OTHER);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("an unlisted origin's GET gets no Access-Control-Allow-Origin, never *", async () => {
    for (const origin of [OTHER, "null", "http://localhost:8787.evil.example", "http://LOCALHOST:8787"]) {
      const response = await api("/api/v1/health", { headers: { Origin: origin } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });
});
