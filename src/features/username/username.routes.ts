import { apiRoute } from "../../lib/route";
import { updatedUserResponse } from "../../users/user-view";
import { UsernameChangeSchema } from "./username.schemas";

export const patchUsername = apiRoute(
  {
    method: "patch",
    path: "/users/profile/username",
    operationId: "changeUsername",
    tags: ["Profile"],
    summary: "Kullanıcı adı değiştir / Change the username",
    description:
      "30 günde bir kullanıcı adını değiştirir. 3 to 30 characters of a-z 0-9 . _, lowercased; reserved " +
      "names are refused (400); the same name is 400; a taken one 409; within the cooldown " +
      "(USERNAME_CHANGE_COOLDOWN_DAYS, default 30) 409 with the date of the next allowed change. " +
      "Lookalikes of reserved and staff names are 400. A given-up name is held for its owner for " +
      "USERNAME_HOLD_DAYS (default 14): others get 409, the owner may take it back once, even within the cooldown.",
    request: { body: { required: true, content: { "application/json": { schema: UsernameChangeSchema } } } },
    responses: updatedUserResponse,
  },
  { mutates: true, authentication: "token", errors: [403, 409] },
);
