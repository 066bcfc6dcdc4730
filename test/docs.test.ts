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
/** Each error status has its own envelope component, whose statusCode is that status. */
const errorEnvelopeRef = (status: string) => `#/components/schemas/ErrorEnvelope${status}`;

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

  it("has the Development server relative (the docs page's own origin) and Production from the setting", () => {
    expect(document.servers).toContainEqual(
      expect.objectContaining({ url: "/", description: "Development" }),
    );
    const production = document.servers.find((server) => server.description === "Production");
    expect(production?.url).toBe(new URL(env.PUBLIC_API_BASE_URL).origin);
    expect(production?.url).toMatch(/^https:\/\//);
  });

  it("never takes a server from the request's Host header", async () => {
    const response = await api("/openapi.json", {
      headers: { host: "evil.example", "x-forwarded-host": "evil.example" },
    });
    expect(await response.text()).not.toContain("evil.example");
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

  it("every operation documents 400 and 500 with their error envelope schemas", () => {
    for (const status of ["400", "500"]) {
      expect(document.components.schemas[`ErrorEnvelope${status}`]).toMatchObject({
        properties: { statusCode: { enum: [Number(status)] }, isSuccess: { enum: [false] } },
      });
    }
    for (const { path, method, operation } of operations) {
      for (const status of ["400", "500"]) {
        const schema = operation.responses[status]?.content?.["application/json"]?.schema;
        expect(schema?.$ref, `${method} ${path} ${status}`).toBe(errorEnvelopeRef(status));
      }
    }
  });

  it("every error response an operation documents uses the error envelope of its status", () => {
    for (const { path, method, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect(response.content?.["application/json"]?.schema?.$ref, `${method} ${path} ${status}`).toBe(
          errorEnvelopeRef(status),
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
        ).toBe(errorEnvelopeRef("401"));
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

  it("every operation's summary is in Turkish and English", () => {
    for (const { path, method, operation } of operations) {
      const summary = (operation as { summary?: string }).summary ?? "";
      expect(summary, `${method} ${path}`).toMatch(/^\S.* \/ \S.*$/);
    }
  });

  it("documents Accept-Language as the seeds show it: a choice of en and tr, en by default", () => {
    const parameter = document.components.parameters.AcceptLanguage as unknown as {
      description: string;
      schema: { $ref: string };
    };
    const schema = document.components.schemas[parameter.schema.$ref.split("/").pop() ?? ""];
    expect(schema).toMatchObject({ type: "string", enum: ["en", "tr"], default: "en" });
    expect(schema).not.toHaveProperty("example");
    expect(parameter.description).toMatch(/tr-TR,tr;q=0.9 means tr/);
  });

  it("invents no value the playground would send by default (no example of X-App-Version or X-Device-Id)", () => {
    for (const name of ["XAppVersion", "XDeviceId"]) {
      const parameter = document.components.parameters[name] as unknown as { schema: { $ref: string } };
      const schema = document.components.schemas[parameter.schema.$ref.split("/").pop() ?? ""];
      expect(schema, name).not.toHaveProperty("example");
      expect(schema, name).not.toHaveProperty("default");
      expect(parameter, name).not.toHaveProperty("example");
    }
  });

  it("the revalidated reads take If-None-Match and document a 304 without a body", () => {
    const revalidated = operations.filter(({ operation }) => operation.responses["304"]);
    expect(revalidated.map(({ path }) => path)).toContain("/api/v1/users/me/stats");
    for (const { path, method, operation } of revalidated) {
      const refs = (operation.parameters ?? []).map((parameter) =>
        "$ref" in parameter ? parameter.$ref : "",
      );
      expect(refs, `${method} ${path}`).toContain("#/components/parameters/IfNoneMatch");
      expect(operation.responses["304"]?.content, `${method} ${path}`).toBeUndefined();
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
    // Try it out: the page's own origin (Development) and the Production server.
    expect(directives.get("connect-src")).toEqual(["'self'", new URL(env.PUBLIC_API_BASE_URL).origin]);
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
