import { apiRoute } from "../../lib/route";
import { updatedUserResponse } from "../../users/user-view";
import { ProfileUpdateSchema } from "./profile.schemas";

export const putProfile = apiRoute(
  {
    method: "put",
    path: "/users/profile",
    operationId: "updateProfile",
    tags: ["Profile"],
    summary: "Profil güncelle (tam) / Replace the profile",
    description:
      "Kullanıcının tüm profil bilgilerini günceller. Full replacement: `name` and `surname` are required; " +
      "an editable field left out is cleared; any other key (read-only ones included) is a 400 naming it. " +
      "A taken email is 409. Refused with 403 while the account is pending deletion. The example holds every " +
      "editable field: Try it out saves exactly what it shows (put your own values in), and a field deleted " +
      "from it is cleared.",
    request: { body: { required: true, content: { "application/json": { schema: ProfileUpdateSchema } } } },
    responses: updatedUserResponse,
  },
  { mutates: true, authentication: "token", lockedWhilePending: true, errors: [409] },
);
