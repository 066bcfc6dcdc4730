import { env, exports } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { expect } from "vitest";
import { createDb } from "../src/db/client";
import { users } from "../src/db/schema";
import { newObjectId } from "../src/lib/ids";

export const db = createDb(env.DB);

type NewUser = Partial<typeof users.$inferInsert>;

let sequence = 0;

/** Inserts a complete user (unique username and email) and returns its row. */
export async function createUser(overrides: NewUser = {}) {
  sequence += 1;
  const id = overrides.id ?? newObjectId();
  const now = new Date();
  const [row] = await db
    .insert(users)
    .values({
      id,
      username: `user_${id.slice(-8)}_${sequence}`,
      name: "Test",
      surname: "User",
      email: `user${sequence}.${id.slice(-6)}@example.com`,
      isRegistrationComplete: true,
      privacyPolicyAccepted: true,
      termsOfUseAccepted: true,
      consentFormAccepted: true,
      createdAt: now,
      updatedAt: now,
      ...overrides,
    })
    .returning();
  if (!row) throw new Error("user not inserted");
  return row;
}

/** An HS256 token for `sub`, valid for an hour unless `claims` says otherwise. */
export function tokenFor(sub: string, claims: Record<string, unknown> = {}, secret = env.JWT_SECRET) {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub, iat: now, exp: now + 3600, ...claims }, secret, "HS256");
}

type ApiInit = RequestInit & { token?: string; json?: unknown };

/** Calls the Worker as a client would; `token` becomes the bearer header, `json` the body. */
export async function api(path: string, init: ApiInit = {}) {
  const { token, json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  const response = await exports.default.fetch(`http://localhost${path}`, {
    ...rest,
    headers,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  return response;
}

/** `api` and the parsed envelope. */
export async function call<T = unknown>(path: string, init: ApiInit = {}) {
  const response = await api(path, init);
  const body = (await response.json()) as {
    isSuccess: boolean;
    statusCode: number;
    data: T;
    errors: string[];
    timestamp: string;
  };
  return { response, status: response.status, body };
}

/** The contract's user object, field for field, in the seed's order. */
export const USER_FIELDS = [
  "_id",
  "name",
  "surname",
  "username",
  "availabilityStatus",
  "countryCode",
  "phoneNumber",
  "gender",
  "birthDate",
  "interests",
  "expertise",
  "privacyPolicyAccepted",
  "privacyPolicyVersion",
  "termsOfUseAccepted",
  "termsOfUseVersion",
  "consentFormAccepted",
  "consentFormVersion",
  "isRegistrationComplete",
  "roles",
  "profilePhoto",
  "lastLogin",
  "createdAt",
  "updatedAt",
  "email",
  "bio",
  "instagram",
  "tiktok",
  "x",
  "snapchat",
  "facebook",
  "accountDeletionStatus",
  "accountDeletionRequestedAt",
  "accountDeletionScheduledFor",
  "accountDeletionCancelledAt",
  "accountDeletionFinalizedAt",
  "deletedAt",
] as const;

type UserWithPhoto = {
  profilePhoto: {
    _id: string;
    url: string;
    type: "image";
    variants: Record<"96" | "256" | "512", string>;
  } | null;
};

/** Uploads a photo as a client would (must succeed); returns it with its URL's path and R2 key (the 512 px variant). */
export async function uploadPhoto(token: string, bytes: Uint8Array, type: string) {
  const form = new FormData();
  form.append("file", new File([bytes], "photo", { type }));
  const { status, body } = await call<UserWithPhoto>("/api/v1/users/profile/photo", {
    method: "PATCH",
    token,
    body: form,
  });
  expect(status).toBe(200);
  const photo = body.data.profilePhoto;
  if (!photo) throw new Error("no photo after upload");
  const path = new URL(photo.url).pathname;
  return { photo, path, key: path.replace(/^\/media\//, "") };
}
