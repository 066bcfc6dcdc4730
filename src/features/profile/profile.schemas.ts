import * as z from "zod";
import "@hono/zod-openapi";
import { AVAILABILITY_STATUSES, GENDERS } from "../../db/schema";
import { cleanText, comparableText } from "../../lib/text";

// In every optional field, absent, null and blank ("") all mean "clear it".

/** An optional text field. */
const optionalText = (max: number, multiline = false) =>
  cleanText({ max, multiline })
    .nullish()
    .transform((value) => value || null);

const handle = (max: number) =>
  z
    .string()
    .trim()
    .transform((value) => value.replace(/^@/, ""))
    .pipe(
      z.string().refine((value) => new RegExp(`^[A-Za-z0-9._]{0,${max}}$`).test(value), {
        error: "profile.handle",
        params: { maximum: max },
      }),
    )
    .nullish()
    .transform((value) => value || null)
    // The document shows the input side of the pipe, which has no bound of its own.
    .openapi({ maxLength: max + 1, pattern: `^@?[A-Za-z0-9._]{0,${max}}$` });

const MIN_AGE = 13;
const MAX_AGE = 120;

function ageOn(birthDate: Date, today: Date): number {
  const years = today.getUTCFullYear() - birthDate.getUTCFullYear();
  const beforeBirthday =
    today.getUTCMonth() < birthDate.getUTCMonth() ||
    (today.getUTCMonth() === birthDate.getUTCMonth() && today.getUTCDate() < birthDate.getUTCDate());
  return beforeBirthday ? years - 1 : years;
}

// The pattern alone would hide the date-time format from the document.
const midnightUtc = z.iso
  .datetime()
  .regex(/T00:00:00(\.0+)?Z$/)
  .openapi({ format: "date-time" });

// A calendar date ("1995-06-15"), or a datetime at midnight UTC as the API returns it.
const birthDate = z
  .union([z.iso.date(), midnightUtc], { error: "profile.birthDate" })
  .transform((value) => new Date(`${value.slice(0, 10)}T00:00:00.000Z`))
  .refine(
    (date) => {
      const age = ageOn(date, new Date());
      return age >= MIN_AGE && age <= MAX_AGE;
    },
    { error: "profile.age", params: { minimum: MIN_AGE, maximum: MAX_AGE } },
  )
  .nullish()
  .transform((value) => value ?? null)
  .openapi({
    description:
      "A date (1995-06-15), or midnight UTC as GET /users/me gives it; the age it gives on the day of the " +
      "request (UTC) must be 13 to 120",
  });

/**
 * The full replacement of the editable profile: name and surname are required, every other
 * editable field that is absent is cleared, and any other key is refused by name.
 */
export const ProfileUpdateSchema = z
  .strictObject({
    name: cleanText({ min: 1, max: 50 }),
    surname: cleanText({ min: 1, max: 50 }),
    bio: optionalText(300, true),
    gender: z
      .enum(GENDERS)
      .nullish()
      .transform((value) => value ?? null),
    birthDate,
    interests: z
      .array(cleanText({ min: 1, max: 30 }))
      .max(10)
      .refine((list) => new Set(list.map(comparableText)).size === list.length, {
        error: "profile.interestsUnique",
      })
      .nullish()
      .transform((value) => value ?? [])
      .openapi({
        uniqueItems: true,
        description:
          "At most 10, no repeats: compared case-insensitively after NFKC normalization, without " +
          "default-ignorable characters (music, MUSIC and ｍｕｓｉｃ are one)",
      }),
    expertise: optionalText(50),
    availabilityStatus: z
      .enum(AVAILABILITY_STATUSES)
      .nullish()
      .transform((value) => value ?? "available"),
    countryCode: z
      .string()
      .trim()
      .regex(/^(\d{1,3})?$/, { error: "profile.countryCode" })
      .openapi({
        maxLength: 3,
        description: "1 to 3 digits; only together with phoneNumber (both or neither)",
      })
      .nullish()
      .transform((value) => value || null),
    phoneNumber: z
      .string()
      .trim()
      .regex(/^(\d{4,14})?$/, { error: "profile.phoneNumber" })
      .openapi({
        maxLength: 14,
        description: "4 to 14 digits; only together with countryCode (both or neither)",
      })
      .nullish()
      .transform((value) => value || null),
    email: z
      .union([z.literal(""), z.email().max(254)])
      .nullish()
      .transform((value) => value || null),
    instagram: handle(30),
    tiktok: handle(30),
    x: handle(30),
    snapchat: handle(30),
    facebook: handle(50),
  })
  .refine((profile) => (profile.countryCode === null) === (profile.phoneNumber === null), {
    error: "profile.phonePair",
    path: ["phoneNumber"],
  })
  .openapi("ProfileUpdate", {
    // Said in words: an if/then pair of subschemas trips Redocly's example check on a closed object.
    description:
      "The whole editable profile. `countryCode` and `phoneNumber` go together: give both (non-empty) or " +
      "neither (absent, null or empty).",
    example: {
      name: "John",
      surname: "Doe",
      bio: "Passionate about technology and travel",
      gender: "male",
      birthDate: "1995-06-15",
      interests: ["music", "sports", "travel", "cooking", "reading"],
      expertise: "designer",
      availabilityStatus: "available",
      countryCode: "90",
      phoneNumber: "5551234567",
      // Every editable field is in the example: Try it out saves exactly what it shows, and a field
      // deleted from it is cleared, so nothing is erased without being seen.
      email: "you@example.com",
      instagram: "myinstagram",
      tiktok: "mytiktok",
      x: "mytwitterx",
      snapchat: "mysnapchat",
      facebook: "myfacebook",
    },
  });

export type ProfileUpdate = z.output<typeof ProfileUpdateSchema>;
