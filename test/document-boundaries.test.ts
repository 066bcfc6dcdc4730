import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, call, createUser, tokenFor } from "./helpers";
import { createConformance, type Document } from "./openapi-conformance";

// The document states every rule the server enforces, and nothing stricter. For every request
// field, the boundary cases of its documented schema (each length bound and one past it, with
// ASCII, accented and astral characters; every enum member and a stranger; null; a wrong type;
// formats on both sides) are sent to the server, and the answer is judged against the document:
// what it allows is accepted (no 400), what it forbids is refused (400). JSON Schema cannot say a
// few rules, which the document says in words; they are judged here as those words state them,
// and each test checks the words are there.

// Hundreds of requests per test: more than the default 5 s on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  format?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
};
type Parameter = { name: string; in: string; schema: Schema; $ref?: string };
type FullDocument = Document & {
  components: Document["components"] & {
    schemas: Record<string, Schema>;
    parameters: Record<string, Parameter>;
  };
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: (Parameter | { $ref: string })[];
        requestBody?: { content: Record<string, { schema: Schema }> };
      }
    >
  >;
};

let document: FullDocument;
let validate: (path: string, value: unknown) => string[];

const pointerSegment = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");
const bodyPointer = (path: string, method: string) =>
  `/paths/${pointerSegment(path)}/${method}/requestBody/content/application~1json/schema`;

function resolve<T extends { $ref?: string }>(node: T): T {
  if (!node.$ref) return node;
  const [, group, name] = /^#\/components\/(\w+)\/(.+)$/.exec(node.$ref) ?? [];
  const target = (document.components as unknown as Record<string, Record<string, T>>)[group ?? ""]?.[
    name ?? ""
  ];
  if (!target) throw new Error(`unresolved ${node.$ref}`);
  return resolve(target);
}

const types = (schema: Schema) => (Array.isArray(schema.type) ? schema.type : [schema.type]);

// Characters of one, one and two UTF-16 units: length bounds count code points.
const FILLERS = ["a", "7", "é", "😀"];
const EMAIL_DOMAIN = "@example.com";

/** The boundary cases of one field's documented schema, each once. */
function boundaryValues(node: Schema): unknown[] {
  const seen = new Set<string>();
  return boundaryCases(node).filter((value) => {
    const key = JSON.stringify(value) ?? "undefined";
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function boundaryCases(node: Schema): unknown[] {
  const schema = resolve(node);
  if (schema.anyOf) return schema.anyOf.flatMap(boundaryCases);
  const values: unknown[] = [12345, { nested: true }];
  const kinds = types(schema);
  if (schema.enum) values.push(...schema.enum, "not_one_of_these");
  if (kinds.includes("null")) values.push(null);
  if (kinds.includes("boolean")) values.push(true, false, "true");
  if (kinds.includes("string") && !schema.enum) {
    const lengths = new Set([0, 1, 2, 3, 4, 5]);
    for (const bound of [schema.minLength, schema.maxLength])
      if (bound !== undefined)
        for (const delta of [-1, 0, 1]) if (bound + delta >= 0) lengths.add(bound + delta);
    for (const length of lengths) for (const filler of FILLERS) values.push(filler.repeat(length));
    values.push("@handle", "a.b_c", "12 34", "-1", "0012");
    if (schema.format === "email")
      for (const length of [schema.maxLength ?? 254, (schema.maxLength ?? 254) + 1])
        values.push(`${"a".repeat(length - EMAIL_DOMAIN.length)}${EMAIL_DOMAIN}`);
    if (schema.format === "email") values.push("me@example.com", "me@", "@example.com", "me@@example.com");
    if (schema.format === "date")
      values.push("1995-06-15", "2000-02-29", "2001-02-29", "1995-13-01", "95-06-15");
    if (schema.format === "date-time")
      values.push("1995-06-15T00:00:00.000Z", "1995-06-15T00:00:00Z", "1995-06-15T10:30:00.000Z");
  }
  if (kinds.includes("array")) {
    const item = schema.items ? resolve(schema.items) : {};
    const distinct = (count: number) => Array.from({ length: count }, (_, index) => `item${index}`);
    const max = schema.maxItems ?? 10;
    values.push([], distinct(1), distinct(max), distinct(max + 1), ["same", "same"], ["Music", "music"]);
    values.push(...boundaryValues(item).map((value) => [value]));
  }
  return values;
}

// ---- The rules the document states in words, each judged as its words say ----

function age(text: string): number {
  const born = new Date(`${text.slice(0, 10)}T00:00:00.000Z`);
  const today = new Date(Date.now());
  let years = today.getUTCFullYear() - born.getUTCFullYear();
  if (
    today.getUTCMonth() < born.getUTCMonth() ||
    (today.getUTCMonth() === born.getUTCMonth() && today.getUTCDate() < born.getUTCDate())
  )
    years -= 1;
  return years;
}
const comparable = (text: string) =>
  text
    .normalize("NFKC")
    .replace(/\p{Default_Ignorable_Code_Point}/gu, "")
    .toUpperCase()
    .toLowerCase();
const filled = (value: unknown) => typeof value === "string" && value.trim() !== "";

/** Why the profile's words refuse `body`, or null. */
function profileRuleInWords(body: Record<string, unknown>): string | null {
  const { birthDate, interests, countryCode, phoneNumber } = body;
  if (typeof birthDate === "string") {
    const years = age(birthDate);
    if (years < 13 || years > 120) return "age 13 to 120";
  }
  if (Array.isArray(interests) && interests.every((item) => typeof item === "string")) {
    if (new Set(interests.map(comparable)).size !== interests.length) return "no repeated interest";
  }
  if (filled(countryCode) !== filled(phoneNumber)) return "countryCode and phoneNumber together";
  return null;
}

type Verdict = { allowed: boolean; why: string };

/** The document's verdict on a JSON body: its schema, then the rules it states in words. */
function judgeBody(path: string, method: string, body: unknown, inWords?: (body: never) => string | null) {
  const problems = validate(bodyPointer(path, method), body);
  if (problems.length > 0) return { allowed: false, why: problems.join("; ") };
  const rule = inWords?.(body as never);
  return rule ? { allowed: false, why: `stated in words: ${rule}` } : { allowed: true, why: "" };
}

/** A 400 is a refusal; any other answer (200, or 404 and 409 about the state) accepted the input. */
function expectJudged(label: string, verdict: Verdict, status: number, errors: string[]) {
  const outcome = status === 400 ? "refused" : "accepted";
  const expected = verdict.allowed ? "accepted" : "refused";
  const agrees = outcome === expected;
  expect(
    { outcome, status: agrees ? "-" : status, errors: agrees ? [] : errors },
    `${label}: the document ${verdict.allowed ? "allows it" : `forbids it (${verdict.why})`}`,
  ).toEqual({ outcome: expected, status: "-", errors: [] });
}

beforeAll(async () => {
  document = (await (await api("/openapi.json")).json()) as FullDocument;
  validate = createConformance(document).validate;
});

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 60 ? `${text.slice(0, 57)}...(${text.length})` : text;
};

describe("PUT /api/v1/users/profile: every field", () => {
  const path = "/api/v1/users/profile";

  it("states in words what JSON Schema cannot: age, unique interests, the phone pair", () => {
    const schema = resolve(document.components.schemas.ProfileUpdate ?? {});
    const properties = schema.properties ?? {};
    expect(resolve(properties.birthDate ?? {}).description).toMatch(/13 to 120/);
    expect(resolve(properties.interests ?? {}).description).toMatch(/case-insensitively/);
    expect(schema.description).toMatch(/both .*or\s+neither/);
  });

  it("accepts what the document allows and refuses what it forbids", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const schema = resolve(document.components.schemas.ProfileUpdate ?? {});
    let sent = 0;
    for (const [field, fieldSchema] of Object.entries(schema.properties ?? {})) {
      for (const value of boundaryValues(fieldSchema)) {
        const body: Record<string, unknown> = { name: "Ada", surname: "Lovelace", [field]: value };
        // The phone pair is a rule of its own (below): each phone field is probed with a valid partner.
        if (field === "countryCode" && filled(value)) body.phoneNumber = "5551234";
        if (field === "phoneNumber" && filled(value)) body.countryCode = "90";
        const verdict = judgeBody(path, "put", body, profileRuleInWords);
        const { status, body: answer } = await call(path, { method: "PUT", token, json: body });
        expectJudged(`${field} = ${show(value)}`, verdict, status, answer.errors);
        sent += 1;
      }
    }
    for (const pair of [
      { countryCode: "90" },
      { phoneNumber: "5551234" },
      { countryCode: "90", phoneNumber: null },
      { countryCode: "", phoneNumber: "" },
      { countryCode: null },
      {},
    ]) {
      const body = { name: "Ada", surname: "Lovelace", ...pair };
      const { status, body: answer } = await call(path, { method: "PUT", token, json: body });
      expectJudged(
        `the phone pair ${show(pair)}`,
        judgeBody(path, "put", body, profileRuleInWords),
        status,
        answer.errors,
      );
      sent += 1;
    }
    const unknownKey = { name: "Ada", surname: "Lovelace", roles: ["admin"] };
    const { status, body: answer } = await call(path, { method: "PUT", token, json: unknownKey });
    expectJudged("a read-only key", judgeBody(path, "put", unknownKey), status, answer.errors);
    console.info(`PUT ${path}: ${sent + 1} boundary cases judged against the document`);
  });
});

describe("the other JSON bodies", () => {
  it("PATCH /users/profile/username: the username's boundaries (reserved names are stated in words)", async () => {
    const path = "/api/v1/users/profile/username";
    const schema = resolve(document.components.schemas.UsernameChange ?? {});
    expect(document.paths[path]?.patch).toMatchObject({ description: expect.stringMatching(/[Rr]eserved/) });
    const user = await createUser();
    const token = await tokenFor(user.id);
    const values = [
      ...boundaryValues(schema.properties?.username ?? {}),
      "abc",
      "ABC.def",
      "a_b.c9",
      "a..b",
      "abc.",
      "_abc",
      ".abc",
      "zz".repeat(15),
      "zz".repeat(15).concat("z"),
    ];
    for (const value of values) {
      // Taken, held or the cooldown are 409: accepted by validation, refused by the state.
      const body = { username: value };
      const { status, body: answer } = await call(path, { method: "PATCH", token, json: body });
      expectJudged(`username = ${show(value)}`, judgeBody(path, "patch", body), status, answer.errors);
    }
  });

  it("POST /users/me/account-deletion: the reason's boundaries", async () => {
    const path = "/api/v1/users/me/account-deletion";
    const schema = resolve(document.components.schemas.AccountDeletionRequest ?? {});
    for (const value of boundaryValues(schema.properties?.reason ?? {})) {
      // A new account each time: a second request while pending is 409, not a validation matter.
      const user = await createUser();
      const body = { reason: value };
      const { status, body: answer } = await call(path, {
        method: "POST",
        token: await tokenFor(user.id),
        json: body,
      });
      expectJudged(`reason = ${show(value)}`, judgeBody(path, "post", body), status, answer.errors);
    }
  });

  it("PUT /admin/feature-flags/{key}: enabled and the key", async () => {
    const path = "/api/v1/admin/feature-flags/{key}";
    const admin = await createUser({ roles: ["user", "admin"] });
    const token = await tokenFor(admin.id);
    const schema = resolve(document.components.schemas.FeatureFlagUpdate ?? {});
    for (const value of boundaryValues(schema.properties?.enabled ?? {})) {
      const body = { enabled: value };
      const { status, body: answer } = await call("/api/v1/admin/feature-flags/no-such-flag", {
        method: "PUT",
        token,
        json: body,
      });
      // A valid body for an unknown key: the documented 404.
      expectJudged(`enabled = ${show(value)}`, judgeBody(path, "put", body), status, answer.errors);
    }
    const key = (document.paths[path]?.put?.parameters ?? [])
      .map((parameter) => resolve(parameter as Parameter))
      .find((parameter) => parameter.in === "path" && parameter.name === "key");
    for (const value of [
      "x",
      "a".repeat(key?.schema.maxLength ?? 64),
      "a".repeat((key?.schema.maxLength ?? 64) + 1),
    ]) {
      const verdict = validate(
        `/paths/${pointerSegment(path)}/put/parameters/${(document.paths[path]?.put?.parameters ?? []).indexOf(key as Parameter)}/schema`,
        value,
      );
      const { status, body: answer } = await call(`/api/v1/admin/feature-flags/${value}`, {
        method: "PUT",
        token,
        json: { enabled: true },
      });
      expectJudged(
        `key = ${show(value)}`,
        { allowed: verdict.length === 0, why: verdict.join("; ") },
        status,
        answer.errors,
      );
    }
  });
});

describe("parameters", () => {
  it("the username availability's query", async () => {
    const path = "/api/v1/users/username-availability";
    const user = await createUser();
    const token = await tokenFor(user.id);
    const parameters = document.paths[path]?.get?.parameters ?? [];
    const index = parameters.findIndex((parameter) => "name" in parameter && parameter.name === "username");
    const schema = (parameters[index] as Parameter).schema;
    for (const value of [...boundaryValues(schema), "a..b", "abc.", "ABC"]) {
      if (typeof value !== "string") continue;
      const problems = validate(`/paths/${pointerSegment(path)}/get/parameters/${index}/schema`, value);
      const { status, body: answer } = await call(`${path}?username=${encodeURIComponent(value)}`, { token });
      expectJudged(
        `username=${show(value)}`,
        { allowed: problems.length === 0, why: problems.join("; ") },
        status,
        answer.errors,
      );
    }
  });

  // Accept-Language is left out on purpose: the document offers the seeds' en/tr choice, and the
  // server also negotiates anything a browser sends (falling back to en), never a 400.
  it.each(["XTimezone", "XPlatform", "XAppVersion", "XDeviceId"])("the %s header", async (component) => {
    const parameter = document.components.parameters[component] as Parameter;
    const schema = resolve(parameter.schema);
    const values = [
      ...boundaryValues(schema),
      "UTC",
      "UTC+03:00",
      "UTC+3",
      "utc",
      "1.4.2",
      "1.4",
      "1.4.2-beta.1",
      "v1.4.2",
      "web",
      "ios",
      "x".repeat(128),
      "x".repeat(129),
    ];
    for (const value of values) {
      // A header is text: only non-empty printable ASCII travels as one (an empty one is no header).
      if (typeof value !== "string" || value === "" || !/^[\x20-\x7e]*$/.test(value)) continue;
      const problems = validate(`/components/schemas/${component}`, value);
      const { status, body: answer } = await call("/api/v1/health", { headers: { [parameter.name]: value } });
      expectJudged(
        `${parameter.name}: ${show(value)}`,
        { allowed: problems.length === 0, why: problems.join("; ") },
        status,
        answer.errors,
      );
    }
  });
});
