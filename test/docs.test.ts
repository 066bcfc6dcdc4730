import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { api } from "./helpers";

// GET /openapi.json and GET /docs.

type Operation = {
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: ({ $ref: string } | { name: string; in: string })[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};
type Document = {
  openapi: string;
  servers: { url: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme?: string; bearerFormat?: string }>;
    parameters: Record<string, { name: string; in: string }>;
    schemas: Record<string, unknown>;
  };
};

const METHODS = ["get", "put", "post", "delete", "patch", "options", "head"];
const ERROR_ENVELOPE_REF = "#/components/schemas/ErrorEnvelope";

let document: Document;
let operations: { path: string; method: string; operation: Operation }[];

beforeAll(async () => {
  const response = await api("/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  document = (await response.json()) as Document;
  operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith("/api/v1/"))
    .flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );
});

/** The API routes the app really serves, as OpenAPI "METHOD /path/{param}" strings. */
function servedRoutes(): string[] {
  const routes = createApp()
    .routes.filter((route) => route.method !== "ALL" && route.path.startsWith("/api/v1/"))
    .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
  return [...new Set(routes)].sort();
}

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1", () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it("has the JWT-auth bearer scheme", () => {
    expect(document.components.securitySchemes["JWT-auth"]).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
  });

  it("has the Development and Production servers", () => {
    expect(document.servers).toContainEqual(
      expect.objectContaining({ url: "http://localhost:8787", description: "Development" }),
    );
    const production = document.servers.find((server) => server.description === "Production");
    expect(production?.url).toMatch(/^https:\/\//);
  });

  it("documents every /api/v1 route the app serves, and no other", () => {
    const served = servedRoutes();
    expect(served).toContain("get /api/v1/health");
    expect(served).toContain("get /api/v1/users/me");
    const documented = operations.map(({ path, method }) => `${method} ${path}`).sort();
    expect(documented).toEqual(served);
  });

  it("the client-header parameters are registered as header parameters", () => {
    expect(document.components.parameters.XTimezone).toMatchObject({ name: "X-Timezone", in: "header" });
    expect(document.components.parameters.XPlatform).toMatchObject({ name: "X-Platform", in: "header" });
    expect(document.components.parameters.AcceptLanguage).toMatchObject({
      name: "Accept-Language",
      in: "header",
    });
  });

  it("every operation references X-Timezone, X-Platform and Accept-Language", () => {
    expect(operations.length).toBeGreaterThan(0);
    for (const { path, method, operation } of operations) {
      const refs = (operation.parameters ?? []).map((parameter) =>
        "$ref" in parameter ? parameter.$ref : "",
      );
      for (const name of ["XTimezone", "XPlatform", "AcceptLanguage"]) {
        expect(refs, `${method} ${path}`).toContain(`#/components/parameters/${name}`);
      }
    }
  });

  it("every operation documents 400 and 500 with the ErrorEnvelope schema", () => {
    expect(document.components.schemas.ErrorEnvelope).toBeDefined();
    for (const { path, method, operation } of operations) {
      for (const status of ["400", "500"]) {
        const schema = operation.responses[status]?.content?.["application/json"]?.schema;
        expect(schema?.$ref, `${method} ${path} ${status}`).toBe(ERROR_ENVELOPE_REF);
      }
    }
  });

  it("every error response an operation documents uses the ErrorEnvelope schema", () => {
    for (const { path, method, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect(response.content?.["application/json"]?.schema?.$ref, `${method} ${path} ${status}`).toBe(
          ERROR_ENVELOPE_REF,
        );
      }
    }
  });

  it("authenticated operations require the bearer scheme and document 401; public ones do neither", () => {
    const secured = operations.filter(({ operation }) => (operation.security ?? []).length > 0);
    expect(secured.map(({ path }) => path)).toContain("/api/v1/users/me");
    for (const { path, method, operation } of operations) {
      const isSecured = (operation.security ?? []).length > 0;
      if (isSecured) {
        expect(operation.security, `${method} ${path}`).toContainEqual({ "JWT-auth": [] });
        expect(
          operation.responses["401"]?.content?.["application/json"]?.schema?.$ref,
          `${method} ${path}`,
        ).toBe(ERROR_ENVELOPE_REF);
      } else {
        expect(operation.responses["401"], `${method} ${path}`).toBeUndefined();
      }
    }
  });

  it("the documented security matches what the Worker does without a token", async () => {
    for (const { path, method, operation } of operations) {
      const isSecured = (operation.security ?? []).length > 0;
      const response = await api(path.replace(/\{\w+\}/g, "x"), { method: method.toUpperCase() });
      if (isSecured) expect(response.status, `${method} ${path}`).toBe(401);
      else expect(response.status, `${method} ${path}`).not.toBe(401);
    }
  });

  it("operations that change data carry the production warning in English and Turkish", () => {
    for (const { path, method, operation } of operations) {
      if (method === "get") continue;
      expect(operation.description, `${method} ${path}`).toContain("Production warning");
      expect(operation.description, `${method} ${path}`).toContain("Production uyarisi");
    }
  });

  it("is public", async () => {
    const response = await api("/openapi.json", { headers: { authorization: "Bearer garbage" } });
    expect(response.status).toBe(200);
  });
});

describe("GET /docs", () => {
  let html: string;
  let csp: string;

  beforeAll(async () => {
    const response = await api("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    html = await response.text();
    csp = response.headers.get("content-security-policy") ?? "";
  });

  const scripts = () => [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  const sources = () => [...html.matchAll(/\b(?:src|href)="([^"]*)"/gi)].map((match) => match[1] ?? "");

  it("is the Swagger UI page", () => {
    expect(html).toMatch(/<div id="swagger-ui"><\/div>/);
    expect(scripts().length).toBeGreaterThanOrEqual(2);
  });

  it("loads every script from /docs-assets/, with no inline script body", () => {
    for (const [tag, attributes = "", body = ""] of scripts()) {
      expect(attributes, tag).toMatch(/\bsrc="\/docs-assets\/[^"]+"/);
      expect(body.trim(), tag).toBe("");
    }
    expect(html).not.toMatch(/\son\w+=/i);
  });

  it("names no CDN or other absolute URL", () => {
    expect(html).not.toMatch(/https?:\/\//);
    for (const source of sources()) expect(source).toMatch(/^\/docs-assets\//);
  });

  it("every asset it names is served by the Worker's static assets", async () => {
    expect(sources().length).toBeGreaterThanOrEqual(3);
    for (const source of sources()) {
      const response = await env.ASSETS.fetch(`http://localhost${source}`);
      expect(response.status, source).toBe(200);
      await response.body?.cancel();
    }
  });

  it("the initializer points Swagger UI at /openapi.json", async () => {
    const response = await env.ASSETS.fetch("http://localhost/docs-assets/init.js");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"/openapi.json"');
  });

  it("has a CSP whose script-src is 'self' only", () => {
    const directives = new Map(
      csp
        .split(";")
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name = "", ...values]) => [name, values] as const),
    );
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("default-src")).toEqual(["'none'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
  });
});

describe("GET /openapi.json: profile photos", () => {
  it("the upload documents 503 with Retry-After", () => {
    const upload = document.paths["/api/v1/users/profile/photo"]?.patch;
    const unavailable = upload?.responses["503"] as { headers?: Record<string, unknown> } | undefined;
    expect(unavailable?.headers?.["Retry-After"]).toBeDefined();
  });

  it("ProfilePhoto has the 512 px url and the variants by size", () => {
    const schema = document.components.schemas.ProfilePhoto as {
      properties: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    };
    expect(Object.keys(schema.properties)).toEqual(["_id", "url", "type", "variants"]);
    expect(schema.properties.variants?.required).toEqual(["96", "256", "512"]);
  });
});
