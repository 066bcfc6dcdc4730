// Type-level checks of the client that openapi-typescript + openapi-fetch make from the exported
// document (.openapi/schema.d.ts), beside the README's "Use it from TypeScript" program: what must
// type-check does, and what must not is marked @ts-expect-error. Only type-checked, never run
// (scripts/check-typed-client.mjs).
import createClient from "openapi-fetch";
import type { paths } from "../.openapi/schema";

const api = createClient<paths>({ baseUrl: "http://localhost:8787" });

/** GET /api/v1/users/me, in Turkish and with dates shown in UTC+03:00. */
export async function showMe() {
  const { data, error } = await api.GET("/api/v1/users/me", {
    params: { header: { "Accept-Language": "tr", "X-Timezone": "UTC+03:00" } },
  });
  if (error) {
    // statusCode is a literal per status. An error's `data` is documented as null, which
    // openapi-fetch's types leave out (openapi-ts/openapi-typescript#1637): there is nothing to read.
    const status: 400 | 401 | 429 | 500 = error.statusCode;
    // @ts-expect-error No error carries data.
    const nothing: string = error.data;
    return { nothing, status, message: error.errors[0] };
  }
  if (!data) return "not modified";
  const username: string | null = data.data.username;
  const statusCode: 200 = data.statusCode;
  return {
    username,
    statusCode,
    photoUrl: data.data.profilePhoto?.url,
    // @ts-expect-error The field is `username`: a misspelt response field must not type-check.
    misspelt: data.data.userName,
  };
}

/** The same request without `surname`, which the document marks as required. */
export function renameWithoutSurname() {
  // @ts-expect-error `surname` is required: a request body missing it must not type-check.
  return api.PUT("/api/v1/users/profile", { body: { name: "Ada" } });
}

/** The photo is a file: a string in its place must not type-check. */
export function uploadText() {
  // @ts-expect-error `file` is a Blob, not a string.
  return api.PATCH("/api/v1/users/profile/photo", { body: { file: "not a file" } });
}

/** A status an operation does not document is no branch of its error type. */
export async function cancelTwice() {
  const { error } = await api.DELETE("/api/v1/users/me/account-deletion");
  // @ts-expect-error DELETE /users/me/account-deletion documents no 404.
  if (error?.statusCode === 404) return "gone";
  return error?.statusCode === 409 ? "nothing pending" : "cancelled";
}
