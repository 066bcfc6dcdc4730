import * as z from "zod";
import "@hono/zod-openapi";
import { USERNAME_MAX_LENGTH, USERNAME_PATTERN } from "../../users/username-rule";
import { reservedNameRule } from "./username-lookalikes";

/**
 * A username as it would be stored: trimmed and lowercased, 3 to 30 of a-z 0-9 . _, starting with a
 * letter or digit, no "..", not ending in ".". Reserved names are a rule of their own (below), so
 * the availability check can answer "reserved" where the change refuses with 400.
 */
const usernameFormat = z
  .string()
  .trim()
  .toLowerCase()
  // Upper case is accepted (and lowercased above): the documented pattern says so too.
  .regex(USERNAME_PATTERN, { error: "username.format" })
  .openapi({ maxLength: USERNAME_MAX_LENGTH });

export const UsernameChangeSchema = z
  .strictObject({
    username: usernameFormat.superRefine((name, ctx) => {
      const rule = reservedNameRule(name);
      if (rule) ctx.addIssue({ code: "custom", message: rule });
    }),
  })
  .openapi("UsernameChange", { example: { username: "new.name_2026" } });

export const UsernameAvailabilityQuerySchema = z.object({
  username: usernameFormat.openapi({
    param: { name: "username", in: "query", required: true },
    example: "new.name_2026",
  }),
});

export const AVAILABILITY_REASONS = ["taken", "held", "reserved", "current"] as const;
export type AvailabilityReason = (typeof AVAILABILITY_REASONS)[number];

export const UsernameAvailabilitySchema = z
  .object({
    username: z.string().openapi({ description: "The name as it would be stored (lowercased)" }),
    available: z.boolean(),
    reason: z
      .enum(AVAILABILITY_REASONS)
      .nullable()
      .openapi({
        description:
          "Why it is not available: taken by another account; held (recently given up by another account); " +
          "reserved (a reserved or staff name, or a lookalike of one); current (already yours). Null when available.",
      }),
  })
  .openapi("UsernameAvailability", {
    example: { username: "new.name_2026", available: true, reason: null },
  });

export type UsernameAvailability = z.infer<typeof UsernameAvailabilitySchema>;
