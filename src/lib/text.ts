import * as z from "zod";
import "@hono/zod-openapi";

// Free text shown to other people must look like what it is. Refused anywhere in it: controls
// (Cc), format characters (Cf: zero-width and soft-hyphen characters, the bidi controls U+061C,
// U+200E/F, U+202A–E, U+2066–9, and the tag characters U+E0001, U+E0020–7F), line and paragraph
// separators (Zl, Zp), private use (Co), unassigned code points (Cn, the other tags included) and
// lone surrogates (Cs), which are no text at all.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}]/u;
const FORBIDDEN_IN_MULTILINE = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}]/u;
// The one format character typed on purpose: the joiner inside an emoji sequence (👩 U+200D 💻).
const EMOJI_JOINER =
  /(?<=\p{Extended_Pictographic}[\u{FE0F}\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})/gu;
// What renders as nothing: spaces, default-ignorables (U+200B, U+3164 Hangul filler, variation
// selectors…), format characters and the blank Braille pattern.
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\u2800]+$/u;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
// Letters and marks that render as nothing yet are not format characters: the Hangul fillers
// (U+115F, U+1160, U+3164, U+FFA0), the grapheme joiner U+034F and the Khmer inherent vowels
// U+17B4/5. Modern input never produces them; a name padded with them passes for another.
const INVISIBLE_LETTERS = /[\u115F\u1160\u3164\uFFA0]|\u034F|\u17B4|\u17B5/u;
// The blank Braille pattern draws braille art in a bio; in a one-line field it only pads.
const BRAILLE_BLANK = /\u2800/u;
/**
 * Combining marks one character may carry: Hebrew with points and cantillation, Thai, Tibetan
 * stacks and Vietnamese (NFC) need at most this many; "Zalgo" text stacks dozens.
 */
export const MAX_STACKED_MARKS = 4;
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_STACKED_MARKS + 1},}`, "u");

type TextOptions = {
  min?: number;
  max: number;
  /** Keeps \n and \t (Windows line ends become \n); everything else stays refused. */
  multiline?: boolean;
};

const codePoints = (value: string) => {
  let count = 0;
  for (const _ of value) count++;
  return count;
};

// The document's rules, as JSON Schema states them and any validating client checks them.
const CHARACTER_RULES =
  "Counted in Unicode code points as sent. Stored NFC-normalized and trimmed; refused when made only of " +
  "invisible or formatting characters, or when holding a control (Cc), format (Cf: bidi controls and " +
  "U+061C included; the zero-width joiner inside an emoji sequence allowed), line or paragraph separator, " +
  "private-use, unassigned or tag character, a letter that shows as nothing (the Hangul fillers U+115F, " +
  "U+1160, U+3164, U+FFA0, U+034F, U+17B4/5; the blank Braille pattern U+2800 outside multi-line text), or " +
  `more than ${MAX_STACKED_MARKS} combining marks on one character`;

/**
 * A text field: `min` to `max` characters as sent (Unicode code points, as the document's
 * minLength and maxLength count them), then NFC-normalized and trimmed, and refused (naming the
 * field through its path) when made only of invisible characters or when holding a forbidden one.
 */
export function cleanText({ min = 0, max, multiline = false }: TextOptions) {
  const forbidden = multiline ? FORBIDDEN_IN_MULTILINE : FORBIDDEN;
  const text = z
    .string()
    .superRefine((raw, ctx) => {
      const length = codePoints(raw);
      if (length > max)
        ctx.addIssue({ code: "too_big", origin: "string", maximum: max, inclusive: true, input: raw });
      else if (length < min)
        ctx.addIssue({ code: "too_small", origin: "string", minimum: min, inclusive: true, input: raw });
    })
    .openapi({
      ...(min > 0 ? { minLength: min } : {}),
      maxLength: max,
      description: `${CHARACTER_RULES}${multiline ? " (line breaks and tabs allowed)" : ""}.`,
    })
    .normalize("NFC")
    .trim();
  return (
    (multiline ? text.overwrite((value) => value.replace(/\r\n?/g, "\n")) : text)
      // Blank once trimmed: empty, where a value is required.
      .refine((value) => min === 0 || value !== "", { error: "validation.empty", abort: true })
      .refine((value) => value === "" || !INVISIBLE_ONLY.test(value), {
        error: "text.invisibleOnly",
        abort: true,
      })
      .refine((value) => !forbidden.test(value.replace(EMOJI_JOINER, "")), {
        error: "text.forbiddenCharacters",
      })
      .refine((value) => !INVISIBLE_LETTERS.test(value) && (multiline || !BRAILLE_BLANK.test(value)), {
        error: "text.invisibleLetters",
      })
      .refine((value) => !STACKED_MARKS.test(value), {
        error: "text.stackedMarks",
        params: { maximum: MAX_STACKED_MARKS },
      })
  );
}

/**
 * The form two texts are compared in when they must be unique: NFKC, case-folded, without
 * default-ignorables, so `music`, `ｍｕｓｉｃ` and `MUSIC` are one. Upper then lower case folds
 * like Unicode's full case folding for the cases that matter here (ß and ss, ς and σ).
 */
export function comparableText(value: string): string {
  return value.normalize("NFKC").replace(DEFAULT_IGNORABLE, "").toUpperCase().toLowerCase().normalize("NFKC");
}
