import { envelopeOf } from "../../lib/envelope";
import { apiRoute } from "../../lib/route";
import { settingDefaults } from "../../lib/settings";
import { updatedUserResponse } from "../../users/user-view";
import {
  UsernameAvailabilityQuerySchema,
  UsernameAvailabilitySchema,
  UsernameChangeSchema,
} from "./username.schemas";

export const patchUsername = apiRoute(
  {
    method: "patch",
    path: "/users/profile/username",
    operationId: "changeUsername",
    tags: ["Profile"],
    summary: "Kullanıcı adı değiştir / Change the username",
    description:
      `${settingDefaults().USERNAME_CHANGE_COOLDOWN_DAYS} günde bir kullanıcı adını değiştirir. ` +
      "3 to 30 characters of a-z 0-9 . _, lowercased; reserved " +
      "names are refused (400); the same name is 400; a taken one 409; within the cooldown " +
      `(USERNAME_CHANGE_COOLDOWN_DAYS, default ${settingDefaults().USERNAME_CHANGE_COOLDOWN_DAYS}) 409 with the ` +
      "date of the next allowed change. " +
      "Lookalikes of reserved and staff names are 400. A given-up name is held for its owner for " +
      `USERNAME_HOLD_DAYS (default ${settingDefaults().USERNAME_HOLD_DAYS}): others get 409, the owner may take ` +
      "it back once, even within the cooldown.",
    request: { body: { required: true, content: { "application/json": { schema: UsernameChangeSchema } } } },
    responses: updatedUserResponse,
  },
  { mutates: true, authentication: "token", lockedWhilePending: true, errors: [409] },
);

export const getUsernameAvailability = apiRoute(
  {
    method: "get",
    path: "/users/username-availability",
    operationId: "getUsernameAvailability",
    tags: ["Profile"],
    summary: "Kullanıcı adı uygun mu? / Could I take this username now?",
    description:
      "What the username form calls while the person types. Answers whether the caller could take the name " +
      "now, with the name as it would be stored (lowercased) and why not: `taken` (another account has it), " +
      "`held` (recently given up by another account), `reserved` (a reserved or staff name, or a lookalike of " +
      "one), `current` (already yours). Your own recently given-up name is available to you. A malformed name " +
      "is 400 with the same messages as PATCH /users/profile/username. The change's cooldown is not checked " +
      "here (the change answers 409 with the date). One read; rate-limited per user " +
      "(USERNAME_AVAILABILITY_LIMITER), so it cannot be used to list accounts.",
    request: { query: UsernameAvailabilityQuerySchema },
    responses: {
      200: {
        description: "Whether the name is available to the caller",
        headers: {
          "Cache-Control": {
            description: "Never stored by a cache: the answer changes as names are taken and given up",
            required: true,
            schema: { type: "string", const: "private, no-store" },
          },
        },
        content: { "application/json": { schema: envelopeOf(UsernameAvailabilitySchema) } },
      },
    },
  },
  // The answer and the account check are one statement.
  { authentication: "token", limiters: ["USERNAME_AVAILABILITY_LIMITER"] },
);
