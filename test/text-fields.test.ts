import { describe, expect, it } from "vitest";
import type * as z from "zod";
import { statusMessage, t } from "../src/lib/i18n";
import { cleanText, comparableText, MAX_STACKED_MARKS } from "../src/lib/text";
import { call, createUser, tokenFor } from "./helpers";

// Every free-text field goes through cleanText (src/lib/text.ts): NFC, no value made only of
// invisible characters, none of Cc, Cf (but the joiner inside an emoji), Zl, Zp, Co, Cn, tags or
// bidi controls; interests are unique after NFKC case folding without default-ignorables.

const INVISIBLE_ONLY = "must contain visible characters, not only invisible or formatting ones";
const FORBIDDEN =
  "must not contain control, invisible formatting, bidirectional-control, tag, private-use or unassigned characters";

const line = cleanText({ min: 1, max: 50 });
const multiline = cleanText({ max: 300, multiline: true });

/** The catalog key a value is refused with, or the value it is stored as. */
function outcome(schema: z.ZodType<string>, value: string) {
  const result = schema.safeParse(value);
  return result.success ? { stored: result.data } : { refused: result.error.issues.map((i) => i.message) };
}

describe("cleanText", () => {
  it.each([
    ["U+200B alone", "\u200B", "text.invisibleOnly"],
    ["U+3164 (Hangul filler) alone", "\u3164", "text.invisibleOnly"],
    ["U+2800 (blank Braille) alone", "\u2800\u2800", "text.invisibleOnly"],
    ["variation selectors alone", "\uFE0F\uFE0F", "text.invisibleOnly"],
    ["U+061C (Arabic letter mark)", "Ay\u061Cse", "text.forbiddenCharacters"],
    ["U+200E (left-to-right mark)", "Ay\u200Ese", "text.forbiddenCharacters"],
    ["U+202E (right-to-left override)", "Ay\u202Ese", "text.forbiddenCharacters"],
    ["U+2066 (left-to-right isolate)", "Ay\u2066se", "text.forbiddenCharacters"],
    ["U+2028 (line separator, Zl)", "Ay\u2028se", "text.forbiddenCharacters"],
    ["U+2029 (paragraph separator, Zp)", "Ay\u2029se", "text.forbiddenCharacters"],
    ["U+2060 (word joiner)", "Ay\u2060se", "text.forbiddenCharacters"],
    ["U+200B inside a word", "Ay\u200Bse", "text.forbiddenCharacters"],
    ["U+00AD (soft hyphen)", "mu\u00ADsic", "text.forbiddenCharacters"],
    ["tag characters", "Ayse\u{E0041}\u{E0042}", "text.forbiddenCharacters"],
    ["a cancel tag", "Ayse\u{E007F}", "text.forbiddenCharacters"],
    ["U+0000", "Ay\u0000se", "text.forbiddenCharacters"],
    ["U+0085 (C1 control)", "Ay\u0085se", "text.forbiddenCharacters"],
    ["a newline in one line", "Ay\nse", "text.forbiddenCharacters"],
    ["U+E000 (private use)", "Ay\uE000se", "text.forbiddenCharacters"],
    ["U+10FFFF (unassigned)", "Ay\u{10FFFF}se", "text.forbiddenCharacters"],
    ["a joiner outside an emoji sequence", "A\u200Db", "text.forbiddenCharacters"],
  ])("refuses %s", (_label, value, key) => {
    expect(outcome(line, value)).toEqual({ refused: [key] });
  });

  it("refuses a lone surrogate (not text at all)", () => {
    // Built here: a lone surrogate cannot travel in a test's own parameters.
    const value = `Ay${String.fromCharCode(0xd800)}se`;
    expect(outcome(line, value)).toEqual({ refused: ["text.forbiddenCharacters"] });
  });

  it.each([
    ["plain text", "Ayşe", "Ayşe"],
    ["decomposed text, stored NFC", "Ays\u0327e", "Ayşe"],
    ["an emoji ZWJ sequence", "Dev \u{1F469}\u200D\u{1F4BB}", "Dev \u{1F469}\u200D\u{1F4BB}"],
    [
      "a ZWJ sequence with a skin tone",
      "\u{1F469}\u{1F3FD}\u200D\u{1F52C}",
      "\u{1F469}\u{1F3FD}\u200D\u{1F52C}",
    ],
    ["the rainbow flag", "\u{1F3F3}\uFE0F\u200D\u{1F308}", "\u{1F3F3}\uFE0F\u200D\u{1F308}"],
    ["Arabic", "عائشة", "عائشة"],
    ["spaces around, trimmed", "  Jane  ", "Jane"],
  ])("keeps %s", (_label, value, stored) => {
    expect(outcome(line, value)).toEqual({ stored });
  });

  it("a multiline field keeps \\n and \\t, turns \\r\\n into \\n, and still refuses the rest", () => {
    expect(outcome(multiline, "one\r\ntwo\tthree\rfour")).toEqual({ stored: "one\ntwo\tthree\nfour" });
    expect(outcome(multiline, "one\u2028two")).toEqual({ refused: ["text.forbiddenCharacters"] });
    expect(outcome(multiline, "one\u0007two")).toEqual({ refused: ["text.forbiddenCharacters"] });
    expect(outcome(multiline, "")).toEqual({ stored: "" });
  });

  it.each([
    ["music", "ｍｕｓｉｃ"],
    ["music", "MUSIC"],
    ["music", "music\u200B"],
    ["music", "mu\u00ADsic"],
    ["strasse", "STRAßE"],
    ["café", "cafe\u0301"],
  ])("compares %s and %s as one", (a, b) => {
    expect(comparableText(a)).toBe(comparableText(b));
  });

  it("keeps different words apart", () => {
    expect(comparableText("music")).not.toBe(comparableText("musica"));
  });
});

type User = {
  name: string;
  surname: string;
  bio: string | null;
  interests: string[];
  expertise: string | null;
};

async function putProfile(json: Record<string, unknown>, language = "en") {
  const token = await tokenFor((await createUser()).id);
  return call<User>("/api/v1/users/profile", {
    method: "PUT",
    token,
    json,
    headers: { "accept-language": language },
  });
}

const base = { name: "Jane", surname: "Roe" };

describe("PUT /api/v1/users/profile: text fields", () => {
  it("refuses a name of U+200B alone and a surname of U+3164 alone, naming both", async () => {
    const { status, body } = await putProfile({ name: "\u200B", surname: "\u3164" });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      "Validation failed",
      `name: ${INVISIBLE_ONLY}`,
      `surname: ${INVISIBLE_ONLY}`,
    ]);
  });

  it.each([
    ["name", "U+061C", { name: "Ay\u061Cse" }],
    ["surname", "U+2028", { surname: "Ro\u2028e" }],
    ["name", "U+2060", { name: "Ja\u2060ne" }],
    ["surname", "tag characters", { surname: "Roe\u{E0072}\u{E006F}" }],
    ["bio", "U+061C", { bio: "Hello \u061Cthere" }],
    ["bio", "U+2028", { bio: "Hello\u2028there" }],
    ["bio", "U+2060", { bio: "Hello\u2060there" }],
    ["bio", "tag characters", { bio: "Hello \u{E0068}\u{E0069}" }],
    ["expertise", "U+202E", { expertise: "design\u202Eer" }],
  ])("refuses %s with %s", async (field, _label, fields) => {
    const { status, body } = await putProfile({ ...base, ...fields });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["Validation failed", `${field}: ${FORBIDDEN}`]);
  });

  it("refuses the interests music, ｍｕｓｉｃ, music\\u200B and mu\\u00ADsic as one interest, with invisible characters", async () => {
    const { status, body } = await putProfile({
      ...base,
      interests: ["music", "ｍｕｓｉｃ", "music\u200B", "mu\u00ADsic"],
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      "Validation failed",
      `interests.2: ${FORBIDDEN}`,
      `interests.3: ${FORBIDDEN}`,
      "interests: must not repeat an interest",
    ]);
  });

  it("says it in Turkish", async () => {
    const { status, body } = await putProfile({ ...base, bio: "Merhaba\u2028dünya" }, "tr");
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      "Doğrulama başarısız",
      "bio: kontrol, görünmez biçimlendirme, yön denetimi, etiket, özel kullanım veya atanmamış karakterler içermemeli",
    ]);
  });

  it.each([
    ["a fullwidth copy", ["music", "ｍｕｓｉｃ"]],
    ["another case", ["music", "Music"]],
    ["a composed and a decomposed é", ["café", "cafe\u0301"]],
  ])("refuses interests repeated as %s", async (_label, interests) => {
    const { status, body } = await putProfile({ ...base, interests });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["Validation failed", "interests: must not repeat an interest"]);
  });

  it("stores text NFC-normalized and keeps an emoji ZWJ sequence", async () => {
    const { status, body } = await putProfile({
      name: "Ays\u0327e",
      surname: "Roe",
      bio: "Coder \u{1F469}\u200D\u{1F4BB}\nline two",
      interests: ["cafe\u0301", "music"],
      expertise: "designer",
    });
    expect(status, JSON.stringify(body.errors)).toBe(200);
    expect(body.data.name).toBe("Ayşe");
    expect(body.data.bio).toBe("Coder \u{1F469}\u200D\u{1F4BB}\nline two");
    expect(body.data.interests).toEqual(["café", "music"]);
  });
});

// Padding that is not a format character: letters that show as nothing, and combining marks
// stacked far past what any script needs ("Zalgo").
const ZALGO = `Jane${"\u0301\u0302\u0303\u0308\u0327".repeat(8)}`;
describe.each(["en", "tr"] as const)(
  "PUT /api/v1/users/profile: invisible padding and stacked marks (%s)",
  (language) => {
    const invisible = t(language, "text.invisibleLetters");
    const stacked = t(language, "text.stackedMarks", { maximum: MAX_STACKED_MARKS });

    it.each([
      ["name", "U+3164 (Hangul filler) after", { name: "Jane\u3164\u3164\u3164" }, invisible],
      ["name", "U+115F (Hangul choseong filler) before", { name: "\u115FJane" }, invisible],
      ["surname", "U+1160 (Hangul jungseong filler) inside", { surname: "R\u1160oe" }, invisible],
      ["surname", "U+FFA0 (halfwidth Hangul filler) after", { surname: "Roe\uFFA0" }, invisible],
      ["name", "U+2800 (blank Braille) after", { name: "Jane\u2800\u2800" }, invisible],
      ["expertise", "U+2800 (blank Braille) inside", { expertise: "de\u2800sign" }, invisible],
      ["bio", "U+3164 inside", { bio: "Hello\u3164there" }, invisible],
      ["name", "U+034F (grapheme joiner) inside", { name: "Ja\u034Fne" }, invisible],
      ["name", "40 stacked combining marks", { name: ZALGO }, stacked],
      ["bio", "five marks on one letter", { bio: `x${"\u0301".repeat(MAX_STACKED_MARKS + 1)}` }, stacked],
    ])("refuses %s with %s", async (field, _label, fields, message) => {
      const { status, body } = await putProfile({ ...base, ...fields }, language);
      expect(status).toBe(400);
      expect(body.errors).toEqual([statusMessage(language, 400), `${field}: ${message}`]);
    });

    it.each([
      ["Vietnamese (NFC)", { name: "Nguyễn", surname: "Thị Ánh" }],
      ["Hebrew with points", { name: "\u05E9\u05C1\u05B8\u05DC\u05D5\u05B9\u05DD", surname: "Roe" }],
      ["Thai with a vowel and a tone mark", { name: "\u0E19\u0E49\u0E33", surname: "Roe" }],
      ["Hangul syllables", { name: "\uD55C\uAE00", surname: "\uAE40" }],
      ["a bio of braille art", { ...base, bio: "\u2800\u28FF\u2800\u28FF" }],
      [
        `${MAX_STACKED_MARKS} marks on one letter`,
        { ...base, bio: `x${"\u0301".repeat(MAX_STACKED_MARKS)}` },
      ],
    ])("keeps %s", async (_label, fields) => {
      const { status, body } = await putProfile(fields, language);
      expect(status, JSON.stringify(body.errors)).toBe(200);
    });
  },
);

describe("POST /api/v1/users/me/account-deletion: the reason", () => {
  it("refuses a reason with a bidi control, and one of invisible characters only", async () => {
    for (const [reason, message] of [
      ["bye \u202Eeyb", FORBIDDEN],
      ["\u200B\u3164", INVISIBLE_ONLY],
    ] as const) {
      const token = await tokenFor((await createUser()).id);
      const { status, body } = await call("/api/v1/users/me/account-deletion", {
        method: "POST",
        token,
        json: { reason },
      });
      expect(status).toBe(400);
      expect(body.errors).toEqual(["Validation failed", `reason: ${message}`]);
    }
  });
});
