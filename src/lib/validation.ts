import type * as z from "zod";
import type { ErrorDetail } from "./errors";
import { isMessageKey, type Language, type MessageKey, t } from "./i18n";

type Issue = z.core.$ZodIssue;
type Message = { key: MessageKey; params?: Record<string, string | number> };

// What a client calls the whole input when the problem is not in one field.
const TARGET_NAMES: Record<string, string> = { json: "body", form: "body" };

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function typeMessage(issue: Extract<Issue, { code: "invalid_type" }>, value: unknown): Message {
  if (value === undefined) return { key: "validation.required" };
  const expected = issue.expected === "int" ? "number" : issue.expected;
  const key = `validation.type.${expected}`;
  return { key: isMessageKey(key) ? key : "validation.type" };
}

function sizeMessage(issue: Extract<Issue, { code: "too_big" | "too_small" }>): Message {
  // Only the inclusive bounds of .min()/.max() have words; other bounds say "not valid".
  if (issue.exact || issue.inclusive === false) return { key: "validation.invalid" };
  const bound = Number(issue.code === "too_big" ? issue.maximum : issue.minimum);
  const big = issue.code === "too_big";
  switch (issue.origin) {
    case "string":
      if (!big && bound === 1) return { key: "validation.empty" };
      return big
        ? { key: "validation.tooLong", params: { maximum: bound } }
        : { key: "validation.tooShort", params: { minimum: bound } };
    case "array":
      return big
        ? { key: "validation.tooManyItems", params: { maximum: bound } }
        : { key: "validation.tooFewItems", params: { minimum: bound } };
    case "number":
    case "int":
      return big
        ? { key: "validation.tooBig", params: { maximum: bound } }
        : { key: "validation.tooSmall", params: { minimum: bound } };
    default:
      return { key: "validation.invalid" };
  }
}

function formatMessage(format: string): Message {
  switch (format) {
    case "email":
      return { key: "validation.email" };
    case "date":
      return { key: "validation.date" };
    case "datetime":
      return { key: "validation.datetime" };
    default:
      return { key: "validation.format" };
  }
}

function valueMessage(values: readonly unknown[]): Message {
  return values.length === 1
    ? { key: "validation.equals", params: { value: String(values[0]) } }
    : { key: "validation.oneOf", params: { values: values.map(String).join(", ") } };
}

/** A union names no single problem: report the branch that got furthest (not a type or value miss). */
function unionBranchIssue(issue: Extract<Issue, { code: "invalid_union" }>): Issue | undefined {
  const candidates = issue.errors.flat();
  const best =
    candidates.find((candidate) => candidate.code !== "invalid_type" && candidate.code !== "invalid_value") ??
    candidates.find((candidate) => candidate.code === "invalid_type");
  return best && { ...best, path: [...issue.path, ...best.path] };
}

/** Our message for one zod issue: never zod's own text, whose words are not ours to show. */
function messageFor(issue: Issue, input: unknown): { issue: Issue; message: Message } {
  // Our schemas name a catalog key as their message (refinements, formats with a rule to explain);
  // a refinement's numbers come with it (`params`), so the limit is written once, in the schema.
  if (isMessageKey(issue.message)) {
    const params = issue.code === "custom" ? (issue.params as Message["params"]) : undefined;
    return { issue, message: { key: issue.message, params } };
  }
  switch (issue.code) {
    case "invalid_type":
      return { issue, message: typeMessage(issue, valueAt(input, issue.path)) };
    case "too_big":
    case "too_small":
      return { issue, message: sizeMessage(issue) };
    case "invalid_format":
      return { issue, message: formatMessage(issue.format) };
    case "invalid_value":
      return { issue, message: valueMessage(issue.values) };
    case "invalid_union": {
      const branch = unionBranchIssue(issue);
      if (branch) return messageFor(branch, input);
      // A union of literals: every branch missed one value, so the allowed ones are all of them.
      const values = issue.errors
        .flat()
        .flatMap((missed) => (missed.code === "invalid_value" ? missed.values : []));
      return { issue, message: values.length > 0 ? valueMessage(values) : { key: "validation.invalid" } };
    }
    case "unrecognized_keys":
      return { issue, message: { key: "request.unknownField" } };
    case "not_multiple_of":
    case "invalid_key":
    case "invalid_element":
    case "custom":
      return { issue, message: { key: "validation.invalid" } };
    default:
      issue satisfies never;
      return { issue, message: { key: "validation.invalid" } };
  }
}

/**
 * One "field: message" line per problem, in the request's language, from our catalog only. A
 * field of the wrong type gets that one line, not also the checks that could not apply to it.
 */
export function validationDetails(
  error: z.ZodError,
  language: Language,
  input: unknown,
  target: string,
): ErrorDetail[] {
  const fieldOf = (path: readonly PropertyKey[]) =>
    path.length > 0 ? path.join(".") : (TARGET_NAMES[target] ?? target);
  const mistyped = new Set(
    error.issues.filter((issue) => issue.code === "invalid_type").map((issue) => fieldOf(issue.path)),
  );
  return error.issues.flatMap((raised): ErrorDetail[] => {
    if (raised.code === "unrecognized_keys") {
      return raised.keys.map((key) => ({
        text: `${fieldOf([...raised.path, key])}: ${t(language, "request.unknownField")}`,
      }));
    }
    if (raised.code !== "invalid_type" && mistyped.has(fieldOf(raised.path))) return [];
    const { issue, message } = messageFor(raised, input);
    return [{ text: `${fieldOf(issue.path)}: ${t(language, message.key, message.params)}` }];
  });
}
