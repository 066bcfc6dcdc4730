// A small client typed by the `paths` that openapi-typescript generates from the exported OpenAPI
// document (.openapi/schema.d.ts). It is only type-checked, never run (scripts/check-typed-client.mjs):
// it proves that the document gives clients real request and response types.
import type { components, paths } from "../.openapi/schema";

type Method = "get" | "put" | "post" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = Exclude<paths[P][M], undefined>;

type HeaderParams<O> = O extends { parameters: { header?: infer H } } ? NonNullable<H> : never;
type BodyOf<R> = R extends { content: { "application/json": infer B } } ? B : never;
type JsonBody<O> = O extends { requestBody?: infer R } ? BodyOf<NonNullable<R>> : never;
type JsonOk<O> = O extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;
type ErrorEnvelope = components["schemas"]["ErrorEnvelope"];

type ApiRequest<P extends keyof paths, M extends Method> = {
  token: string;
  headers?: HeaderParams<Operation<P, M>>;
} & ([JsonBody<Operation<P, M>>] extends [never] ? { body?: never } : { body: JsonBody<Operation<P, M>> });

const BASE_URL = "http://localhost:8787";

async function call<P extends keyof paths, M extends Method>(
  path: P,
  method: M,
  request: ApiRequest<P, M>,
): Promise<JsonOk<Operation<P, M>> | ErrorEnvelope> {
  const headers = new Headers({ Authorization: `Bearer ${request.token}` });
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (typeof value === "string") headers.set(name, value);
  }
  if (request.body !== undefined) headers.set("Content-Type", "application/json");
  const response = await fetch(new URL(path, BASE_URL), {
    method: method.toUpperCase(),
    headers,
    body: request.body === undefined ? null : JSON.stringify(request.body),
  });
  return (await response.json()) as JsonOk<Operation<P, M>> | ErrorEnvelope;
}

/** GET /api/v1/users/me, in Turkish and with dates shown in UTC+03:00. */
export async function showMe(token: string) {
  const me = await call("/api/v1/users/me", "get", {
    token,
    headers: { "Accept-Language": "tr", "X-Timezone": "UTC+03:00" },
  });
  if (!me.isSuccess) return { error: me.errors[0] };
  const username: string | null = me.data.username;
  const photoUrl: string | undefined = me.data.profilePhoto?.url;
  return {
    username,
    photoUrl,
    // @ts-expect-error The field is `username`: a misspelt response field must not type-check.
    misspelt: me.data.userName,
  };
}

/** PUT /api/v1/users/profile: a full replacement, so name and surname are required. */
export async function rename(token: string, name: string, surname: string) {
  const updated = await call("/api/v1/users/profile", "put", { token, body: { name, surname } });
  return updated.isSuccess ? `${updated.data.name} ${updated.data.surname}` : updated.errors.join("; ");
}

/** The same request without `surname`, which the document marks as required. */
export function renameWithoutSurname(token: string, name: string) {
  // @ts-expect-error `surname` is required: a request body missing it must not type-check.
  return call("/api/v1/users/profile", "put", { token, body: { name } });
}

/** GET /api/v1/users/me/stats. */
export async function showStats(token: string) {
  const stats = await call("/api/v1/users/me/stats", "get", { token });
  if (!stats.isSuccess) return null;
  const { followersCount, followingCount, liveStreamsCount } = stats.data;
  const counts: [number, number, number] = [followersCount, followingCount, liveStreamsCount];
  return counts;
}
