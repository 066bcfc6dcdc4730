import * as z from "zod";
import "@hono/zod-openapi";
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
  .regex(/^(?=.{3,30}$)[A-Za-z0-9](?!.*\.\.)[A-Za-z0-9._]*(?<!\.)$/, { error: "username.format" })
  .openapi({ maxLength: 30 });

export const UsernameChangeSchema = z
  .strictObject({
    username: usernameFormat.superRefine((name, ctx) => {
      const rule = reservedNameRule(name);
      if (rule) ctx.addIssue({ code: "custom", message: rule });
    }),
  })
  .openapi("UsernameChange", { example: { username: "new.name_2026" } });
