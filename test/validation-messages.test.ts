import { describe, expect, it } from "vitest";
import * as z from "zod";
import { catalogMessages, LANGUAGES, type Language } from "../src/lib/i18n";
import { validationDetails } from "../src/lib/validation";
import { api, call, createUser, tokenFor } from "./helpers";

// Words of zod's own messages (en and tr locales): none may reach a client.
const ZOD_WORDS =
  /invalid|expected|received|too big|too small|unrecognized|geçersiz|beklenen|alınan|çok büyük|çok küçük/i;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// A catalog message, placeholders filled by anything, alone or after "field: ".
const catalogLine = Object.fromEntries(
  LANGUAGES.map((language) => {
    const templates = catalogMessages(language).map((message) =>
      escapeRegExp(message).replace(/\\\{\w+\\\}/g, ".+"),
    );
    return [language, new RegExp(`^(?:[^\\s:]+: )?(?:${templates.join("|")})$`, "s")];
  }),
) as Record<Language, RegExp>;

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  example?: Record<string, unknown>;
  enum?: unknown[];
  maxLength?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
};
type Parameter = { $ref?: string; name: string; in: string; schema?: JsonSchema };
type Operation = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; parameters: Record<string, Parameter> };
};

const documentResponse = await call<never>("/openapi.json");
const document = documentResponse.body as unknown as Document;

function resolve<T extends { $ref?: string }>(node: T): T {
  if (!node.$ref) return node;
  const [, , section, name] = node.$ref.split("/");
  const components = document.components as unknown as Record<string, Record<string, T>>;
  const target = section && name ? components[section]?.[name] : undefined;
  if (!target) throw new Error(`unresolved ${node.$ref}`);
  return resolve(target);
}

/** A keyword of the schema or of any of its alternatives (nullable fields are anyOf). */
function keyword<K extends keyof JsonSchema>(schema: JsonSchema, key: K): JsonSchema[K] | undefined {
  const resolved = resolve(schema);
  if (resolved[key] !== undefined) return resolved[key];
  for (const option of [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? [])]) {
    const found = keyword(option, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

const REMOVED = Symbol("removed");

/** Values that break a field of any type: wrong types, empty, too long, too many, not an option. */
function badValues(schema: JsonSchema): unknown[] {
  const maxLength = keyword(schema, "maxLength") ?? 600;
  const maxItems = keyword(schema, "maxItems") ?? 60;
  return [
    REMOVED,
    12345,
    true,
    [],
    {},
    "",
    "x".repeat(Math.min(maxLength + 1, 4000)),
    "not-one-of-the-options",
    "not-an-email@",
    [12345],
    Array.from({ length: maxItems + 1 }, (_, index) => `item${index}`),
  ];
}

/** A valid body to break one field at a time: the document's example, else the required fields. */
function baseBody(schema: JsonSchema): Record<string, unknown> {
  if (schema.example) return schema.example;
  const sample = (property: JsonSchema) =>
    keyword(property, "enum")?.[0] ?? (keyword(property, "type") === "boolean" ? true : "a");
  return Object.fromEntries(
    (schema.required ?? []).map((name) => [name, sample(schema.properties?.[name] ?? {})]),
  );
}

type Sent = { label: string; init: RequestInit & { json?: unknown } };

function jsonAttempts(schema: JsonSchema): Sent[] {
  const base = baseBody(schema);
  const attempts: Sent[] = ["text", 42, null, [], { ...base, notAField: 1 }].map((json) => ({
    label: JSON.stringify(json),
    init: { json },
  }));
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    for (const value of badValues(property)) {
      const json: Record<string, unknown> = { ...base };
      if (value === REMOVED) delete json[name];
      else json[name] = value;
      attempts.push({
        label: `${name} = ${String(value === REMOVED ? "(removed)" : JSON.stringify(value))}`,
        init: { json },
      });
    }
  }
  return attempts;
}

function formAttempts(schema: JsonSchema): Sent[] {
  const image = () => new File([new Uint8Array(64)], "photo.jpg", { type: "image/jpeg" });
  const forms: Record<string, [string, string | File][]> = {
    "no field": [],
    "misnamed field": [["photo", image()]],
    "text instead of a file": [["file", "not a file"]],
    "two files": [
      ["file", image()],
      ["file", image()],
    ],
  };
  for (const name of Object.keys(schema.properties ?? {})) forms[`only ${name}, as text`] = [[name, ""]];
  return Object.entries(forms).map(([label, entries]) => {
    return { label, init: { body: formOf(entries) } };
  });
}

function headerAttempts(operation: Operation): Sent[] {
  const headers = (operation.parameters ?? []).map(resolve).filter((parameter) => parameter.in === "header");
  return headers.flatMap((header) =>
    ["not-a-valid-value", "x".repeat(300), "UTC+99:99", "1.2.3.4.5"].map((value) => ({
      label: `${header.name}: ${value.slice(0, 20)}`,
      init: { headers: { [header.name]: value } },
    })),
  );
}

function pathAttempts(path: string, operation: Operation): { path: string; label: string }[] {
  const params = (operation.parameters ?? []).map(resolve).filter((parameter) => parameter.in === "path");
  return params.flatMap((param) =>
    ["not-valid", "x".repeat(300), "0"].map((value) => ({
      label: `{${param.name}} = ${value.slice(0, 20)}`,
      path: params.reduce(
        (built, other) =>
          built.replace(`{${other.name}}`, other === param ? value : String(other.schema?.example ?? "a")),
        path,
      ),
    })),
  );
}

function concretePath(path: string, operation: Operation): string {
  return (operation.parameters ?? [])
    .map(resolve)
    .filter((parameter) => parameter.in === "path")
    .reduce((built, param) => built.replace(`{${param.name}}`, String(param.schema?.example ?? "a")), path);
}

const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);

describe("no message of a library reaches a client", () => {
  it("reads every operation from the served document", () => {
    expect(documentResponse.status).toBe(200);
    expect(operations.length).toBeGreaterThanOrEqual(12);
  });

  it.each(operations.map((entry) => [`${entry.method} ${entry.path}`, entry] as const))(
    "%s: every failure of its body, path and headers is one catalog line naming the field, in en and tr",
    async (_name, { path, method, operation }) => {
      const user = await createUser({ roles: ["user", "admin"] });
      const token = await tokenFor(user.id);
      const content = operation.requestBody?.content ?? {};
      const json = content["application/json"];
      const form = content["multipart/form-data"];
      const attempts: { path: string; label: string; init: Sent["init"] }[] = [
        ...(json ? jsonAttempts(resolve(json.schema)) : []),
        ...(form ? formAttempts(resolve(form.schema)) : []),
        ...headerAttempts(operation),
      ].map((attempt) => ({ ...attempt, path: concretePath(path, operation) }));
      attempts.push(...pathAttempts(path, operation).map((attempt) => ({ ...attempt, init: {} })));

      let refused = 0;
      for (const language of LANGUAGES) {
        for (const attempt of attempts) {
          // A FormData body is read once: build a fresh request for each language.
          const init =
            attempt.init.body instanceof FormData ? { body: formOf(attempt.init.body) } : attempt.init;
          const headers = { ...(init.headers as Record<string, string>), "accept-language": language };
          const { status, body } = await call(attempt.path, { ...init, method, token, headers });
          const context = `${method} ${attempt.path} ${attempt.label} (${language})`;
          expect(status, context).toBeLessThan(500);
          if (status !== 400) continue;
          refused += 1;
          expect(body.errors.length, context).toBeGreaterThan(1);
          for (const line of body.errors.slice(1)) {
            expect(line, context).not.toMatch(ZOD_WORDS);
            expect(line, context).toMatch(catalogLine[language]);
            expect(line, context).toMatch(/^[\w.-]+: \S/);
          }
        }
      }
      // Every API operation takes the client headers, so every one has refusals to check.
      if (path.startsWith("/api/")) expect(refused).toBeGreaterThan(0);
    },
    // Hundreds of requests for the profile update alone.
    120_000,
  );
});

function formOf(entries: Iterable<[string, string | File]>): FormData {
  const form = new FormData();
  for (const [name, value] of entries) form.append(name, value);
  return form;
}

describe("validation messages for people", () => {
  const PROFILE = { name: "Ada", surname: "Lovelace" };
  const cases: [string, unknown, Record<Language, string>][] = [
    ["a missing required field", { name: "Ada" }, { en: "surname: is required", tr: "surname: zorunlu" }],
    ["a wrong type", { ...PROFILE, bio: 42 }, { en: "bio: must be a string", tr: "bio: metin olmalı" }],
    [
      "an unknown enum value, listing the allowed ones",
      { ...PROFILE, gender: "robot" },
      {
        en: "gender: must be one of male, female, other, prefer_not_to_say",
        tr: "gender: male, female, other, prefer_not_to_say değerlerinden biri olmalı",
      },
    ],
    [
      "a too long string",
      { ...PROFILE, bio: "b".repeat(301) },
      { en: "bio: must be at most 300 characters", tr: "bio: en fazla 300 karakter olmalı" },
    ],
    [
      "a too short string",
      { ...PROFILE, name: "  " },
      { en: "name: must not be empty", tr: "name: boş olmamalı" },
    ],
    [
      "an array too long",
      { ...PROFILE, interests: Array.from({ length: 11 }, (_, index) => `topic${index}`) },
      { en: "interests: must have at most 10 items", tr: "interests: en fazla 10 öğe içermeli" },
    ],
    [
      "an array item of a wrong type",
      { ...PROFILE, interests: ["music", 7] },
      { en: "interests.1: must be a string", tr: "interests.1: metin olmalı" },
    ],
    [
      "an invalid email",
      { ...PROFILE, email: "ada.example.com" },
      {
        en: "email: must be an email address like name@example.com",
        tr: "email: ad@example.com gibi bir e-posta adresi olmalı",
      },
    ],
    [
      "an email of a wrong type",
      { ...PROFILE, email: 5 },
      { en: "email: must be a string", tr: "email: metin olmalı" },
    ],
    ["a body that is not an object", [], { en: "body: must be an object", tr: "body: bir nesne olmalı" }],
  ];

  it.each(cases)("PUT /users/profile: %s", async (_label, json, expected) => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    for (const language of LANGUAGES) {
      const { status, body } = await call("/api/v1/users/profile", {
        method: "PUT",
        token,
        json,
        headers: { "accept-language": language },
      });
      expect(status).toBe(400);
      expect(body.errors.slice(1)).toEqual([expected[language]]);
    }
  });

  it("a wrong type is one line, not also the checks that could not apply to it", async () => {
    const user = await createUser();
    const { body } = await call("/api/v1/users/profile", {
      method: "PUT",
      token: await tokenFor(user.id),
      json: { name: "Ada", surname: [] },
    });
    expect(body.errors).toEqual(["Validation failed", "surname: must be a string"]);
  });

  const photoForms: [string, [string, string | File][]][] = [
    ["missing", []],
    ["misnamed", [["photo", new File([new Uint8Array(8)], "p.jpg", { type: "image/jpeg" })]]],
    ["text", [["file", "a photo"]]],
  ];
  it.each(photoForms)(
    "PATCH /users/profile/photo with the file field %s names the field and says how to send it",
    async (_label, entries) => {
      const user = await createUser();
      const token = await tokenFor(user.id);
      const expected = {
        en: "file: must be an image file sent in the multipart/form-data field named file",
        tr: "file: multipart/form-data içinde file adlı alanda gönderilen bir görsel dosyası olmalı",
      };
      for (const language of LANGUAGES) {
        const response = await api("/api/v1/users/profile/photo", {
          method: "PATCH",
          token,
          body: formOf(entries),
          headers: { "accept-language": language },
        });
        expect(response.status).toBe(400);
        const body = (await response.json()) as { errors: string[] };
        expect(body.errors.slice(1)).toEqual([expected[language]]);
      }
    },
  );

  it("the username and deletion bodies name their field", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const missing = await call("/api/v1/users/profile/username", { method: "PATCH", token, json: {} });
    expect(missing.body.errors).toEqual(["Validation failed", "username: is required"]);
    const reason = await call("/api/v1/users/me/account-deletion", {
      method: "POST",
      token,
      json: { reason: "r".repeat(501) },
      headers: { "accept-language": "tr" },
    });
    expect(reason.body.errors).toEqual(["Doğrulama başarısız", "reason: en fazla 500 karakter olmalı"]);
  });
});

// Checks no route has today, so a schema added tomorrow still gets our words.
const UNUSED_CHECKS = z.object({
  step: z.number().multipleOf(5),
  whole: z.int(),
  above: z.number().gt(3),
  code: z.string().length(3),
  when: z.date(),
  tags: z.set(z.string()).max(1),
  labels: z.record(z.string().regex(/^a/), z.string()),
  kind: z.discriminatedUnion("type", [
    z.object({ type: z.literal("a") }),
    z.object({ type: z.literal("b") }),
  ]),
  site: z.url(),
  id: z.uuid(),
  exact: z.literal("yes"),
  either: z.union([z.number(), z.boolean()]),
  size: z.union([z.literal("small"), z.literal("large")]),
});

describe("every zod issue code has a message of ours", () => {
  it.each(LANGUAGES)("in %s", (language) => {
    const input = {
      step: 7,
      whole: 1.5,
      above: 1,
      code: "abcd",
      when: "yesterday",
      tags: new Set(["a", "b"]),
      labels: { b: "x" },
      kind: { type: "c" },
      site: "not a url",
      id: "not a uuid",
      exact: "no",
      either: "neither",
      size: "medium",
    };
    const parsed = UNUSED_CHECKS.safeParse(input);
    if (parsed.success) throw new Error("the input should fail");
    const lines = validationDetails(parsed.error, language, input, "json").map((detail) =>
      "text" in detail ? detail.text : detail.key,
    );
    const fields = lines.map((line) => line.slice(0, line.indexOf(":")));
    expect(new Set(fields)).toEqual(
      new Set(Object.keys(input).map((field) => ({ kind: "kind.type", labels: "labels.b" })[field] ?? field)),
    );
    expect(lines).toContain(
      language === "en"
        ? "size: must be one of small, large"
        : "size: small, large değerlerinden biri olmalı",
    );
    for (const line of lines) {
      expect(line).not.toMatch(ZOD_WORDS);
      expect(line).toMatch(catalogLine[language]);
    }
  });
});
