import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, tokenFor } from "../helpers";
import {
  acceptLanguageValue,
  asBody,
  byteLength,
  objectText,
  profileBodyText,
  profileWithUnknownKey,
  profileWithWrongType,
  validProfileEntries,
} from "./arbitraries";
import { fuzzClient, fuzzParameters, headersFor, requestBody, sendChecked, timeoutFor } from "./properties";

// PUT /api/v1/users/profile with hostile bodies, content types and languages.

const PATH = "/api/v1/users/profile";
const BODY_LIMIT = 16 * 1024;
const TAKEN_EMAIL = "fuzz.taken@example.com";
const client = fuzzClient("profile");

let userId: string;
let token: string;

beforeAll(async () => {
  const user = await createUser();
  userId = user.id;
  token = await tokenFor(user.id);
  await createUser({ email: TAKEN_EMAIL });
});

/** English, Turkish, or negotiated to Turkish: the detail messages follow the language too. */
const language = fc.constantFrom("en", "tr", "tr-TR,tr;q=0.9");
const UNKNOWN_FIELD = { en: "is not an accepted field", tr: "kabul edilen bir alan değil" };

const put = (text: string, acceptLanguage = "en") => ({
  method: "PUT",
  path: PATH,
  headers: headersFor({
    token,
    contentType: "application/json",
    extra: { "accept-language": acceptLanguage },
  }),
  body: new TextEncoder().encode(text),
});

describe("PUT /users/profile under fuzzing", () => {
  const HOSTILE = 110;
  it(
    "answers every body with an envelope, never a 5xx, and a refused update changes nothing",
    async () => {
      const anyLanguage = fc.option(acceptLanguageValue, { nil: undefined });
      await fc.assert(
        fc.asyncProperty(asBody(profileBodyText), anyLanguage, async (fuzzed, acceptLanguage) => {
          const { contentType, body } = requestBody(fuzzed);
          const extra: Record<string, string> =
            acceptLanguage === undefined ? {} : { "accept-language": acceptLanguage };
          await sendChecked(client, userId, {
            method: "PUT",
            path: PATH,
            headers: headersFor({ token, contentType, extra }),
            body,
          });
        }),
        fuzzParameters(HOSTILE),
      );
    },
    timeoutFor(HOSTILE),
  );

  const WRONG_TYPE = 45;
  it(
    "refuses a field of the wrong type with 400 naming the field (413 past 16 KiB)",
    async () => {
      await fc.assert(
        fc.asyncProperty(profileWithWrongType, language, async ({ field, text }, acceptLanguage) => {
          const { answer, body } = await sendChecked(client, userId, put(text, acceptLanguage));
          if (byteLength(text) > BODY_LIMIT) {
            expect(answer.status).toBe(413);
            return;
          }
          expect(answer.status, text.slice(0, 300)).toBe(400);
          const details = body?.errors.slice(1) ?? [];
          expect(
            details.some((line) => line.startsWith(`${field}:`) || line.startsWith(`${field}.`)),
            details.join(" | "),
          ).toBe(true);
        }),
        fuzzParameters(WRONG_TYPE),
      );
    },
    timeoutFor(WRONG_TYPE),
  );

  const UNKNOWN_KEY = 45;
  it(
    "refuses an unknown, read-only or prototype key with 400 naming the key",
    async () => {
      await fc.assert(
        fc.asyncProperty(profileWithUnknownKey, language, async ({ key, text }, acceptLanguage) => {
          const { answer, body } = await sendChecked(client, userId, put(text, acceptLanguage));
          if (byteLength(text) > BODY_LIMIT) {
            expect(answer.status).toBe(413);
            return;
          }
          expect(answer.status, text.slice(0, 300)).toBe(400);
          const message = UNKNOWN_FIELD[answer.headers.get("content-language") === "tr" ? "tr" : "en"];
          expect(body?.errors, text.slice(0, 300)).toContain(`${key}: ${message}`);
        }),
        fuzzParameters(UNKNOWN_KEY),
      );
    },
    timeoutFor(UNKNOWN_KEY),
  );

  const TAKEN = 20;
  it(
    "refuses another account's email, in any case, with 409 and changes nothing",
    async () => {
      const spelling = fc.constantFrom(TAKEN_EMAIL, TAKEN_EMAIL.toUpperCase(), "Fuzz.Taken@Example.COM");
      await fc.assert(
        fc.asyncProperty(validProfileEntries, spelling, language, async (entries, email, acceptLanguage) => {
          const text = objectText([
            ...entries.filter(([key]) => key !== "email"),
            ["email", JSON.stringify(email)],
          ]);
          const { answer, body } = await sendChecked(client, userId, put(text, acceptLanguage));
          expect(answer.status, answer.text.slice(0, 300)).toBe(409);
          const tr = answer.headers.get("content-language") === "tr";
          expect(body?.errors[1]).toBe(tr ? "email: zaten kullanımda" : "email: is already in use");
        }),
        fuzzParameters(TAKEN),
      );
    },
    timeoutFor(TAKEN),
  );
});
