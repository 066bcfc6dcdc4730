import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";

// Checks a response against the OpenAPI document the Worker serves: its status must be documented
// for the operation, its body must match the documented media type and schema (or be empty when
// none is documented), every documented header must be there when required and match its schema
// when present, and no header of the contract may be sent where the document does not say so.

type Schema = Record<string, unknown>;
type Header = { required?: boolean; schema: Schema } | { $ref: string };
type Response = { headers?: Record<string, Header>; content?: Record<string, { schema: Schema }> };
type Operation = {
  security?: unknown[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response | { $ref: string }>;
};
export type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { headers: Record<string, { required?: boolean; schema: Schema }> };
};

// Added by the platform (the Cache API's included) and by the security and CORS middleware to
// responses alike: part of no operation's contract. Every other header must be documented where it is sent.
const TRANSPORT_HEADERS = new Set([
  "content-type",
  "content-length",
  "date",
  "age",
  "cf-cache-status",
  "content-security-policy",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
  "cross-origin-embedder-policy",
  "referrer-policy",
  "strict-transport-security",
  "x-content-type-options",
  "x-frame-options",
  "vary",
]);

const DOCUMENT_ID = "https://profile-api.test/openapi.json";
const pointer = (...segments: string[]) =>
  segments.map((segment) => `/${segment.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

export function createConformance(document: Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own formats: int32/int64 are bounded by minimum/maximum, binary is not JSON.
  for (const format of ["int32", "int64", "binary"]) ajv.addFormat(format, true);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const validate = (path: string, value: unknown) => {
    const check = ajv.getSchema(`${DOCUMENT_ID}#${path}`) ?? ajv.compile({ $ref: `${DOCUMENT_ID}#${path}` });
    return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  };
  const covered = new Set<string>();

  /** The problems of `response` as an answer of `method` `path` (the document's path template). */
  async function problems(method: string, path: string, response: globalThis.Response): Promise<string[]> {
    const name = `${method.toUpperCase()} ${path} ${response.status}`;
    const operation = document.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${name}: no such operation in the document`];
    const documented = operation.responses[String(response.status)];
    if (!documented) return [`${name}: status not documented`];
    if ("$ref" in documented) return [`${name}: $ref responses are not used by this document`];
    covered.add(`${method.toLowerCase()} ${path} ${response.status}`);
    const found: string[] = [];
    const base = pointer("paths", path, method.toLowerCase(), "responses", String(response.status));

    const text = await response.text();
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!documented.content) {
      if (text !== "") found.push(`${name}: a body where the document describes none`);
    } else if (!(mediaType in documented.content)) {
      found.push(`${name}: content-type "${mediaType}" is not one of ${Object.keys(documented.content)}`);
    } else if (mediaType === "application/json") {
      const errors = validate(`${base}${pointer("content", mediaType, "schema")}`, JSON.parse(text));
      found.push(...errors.map((error) => `${name}: body ${error}`));
    }

    const declaredHeaders = Object.entries(documented.headers ?? {});
    for (const [header, declared] of declaredHeaders) {
      const spec =
        "$ref" in declared ? document.components.headers[declared.$ref.split("/").pop() ?? ""] : declared;
      if (!spec) {
        found.push(`${name}: header ${header} refers to a missing component`);
        continue;
      }
      const value = response.headers.get(header);
      if (value === null) {
        if (spec.required) found.push(`${name}: required header ${header} is missing`);
        continue;
      }
      const typed = spec.schema.type === "integer" && /^\d+$/.test(value) ? Number(value) : value;
      const schemaPath = "$ref" in declared ? declared.$ref.slice(1) : `${base}${pointer("headers", header)}`;
      found.push(
        ...validate(`${schemaPath}/schema`, typed).map((error) => `${name}: header ${header} ${error}`),
      );
    }
    const documentedNames = new Set(declaredHeaders.map(([header]) => header.toLowerCase()));
    for (const header of response.headers.keys()) {
      const transport = TRANSPORT_HEADERS.has(header) || header.startsWith("access-control-");
      if (!transport && !documentedNames.has(header))
        found.push(`${name}: header ${header} is not documented`);
    }
    return found;
  }

  /** Every documented "method path status" that no checked response has shown yet. */
  function uncovered(): string[] {
    return Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, operation]) =>
        Object.keys(operation.responses)
          .map((status) => `${method} ${path} ${status}`)
          .filter((key) => !covered.has(key)),
      ),
    );
  }

  return { problems, uncovered, validate };
}
