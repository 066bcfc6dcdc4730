import type * as z from "zod";
import trLocale from "zod/v4/locales/tr.js";
import type { ErrorDetail } from "./errors";
import { isMessageKey, type Language, t } from "./i18n";

type Issue = z.core.$ZodIssue;

const turkish = trLocale();

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function issueMessage(issue: Issue, language: Language, input: unknown): string {
  // Our schemas name a catalog key as their message; zod's own messages come from its locales.
  if (isMessageKey(issue.message)) return t(language, issue.message);
  if (language === "en") return issue.message;
  // zod keeps no input on finished issues; give it back so messages can name the received type.
  const localized = turkish.localeError({ ...issue, input: valueAt(input, issue.path) } as never);
  if (typeof localized === "string") return localized;
  return localized?.message ?? issue.message;
}

/** One "field: message" line per problem, in the request's language. */
export function validationDetails(
  error: z.ZodError,
  language: Language,
  input: unknown,
  target: string,
): ErrorDetail[] {
  return error.issues.flatMap((issue): ErrorDetail[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        text: `${[...issue.path, key].join(".")}: ${t(language, "request.unknownField")}`,
      }));
    }
    const field = issue.path.length > 0 ? issue.path.join(".") : target;
    return [{ text: `${field}: ${issueMessage(issue, language, input)}` }];
  });
}
