import { type Column, getTableColumns } from "drizzle-orm";
import type { BuildSchema } from "drizzle-zod";
import * as z from "zod";
import "@hono/zod-openapi";
import { ROLES, type UserRow, users } from "../db/schema";
import { deferSchema, resolveSchema } from "../lib/deferred-schema";
import { envelopeOf } from "../lib/envelope";
import { bySize, PHOTO_URL_SIZE, profilePhotoOf } from "../media-store/photo-keys";

/** Columns that stay inside the service: the API shows them differently (id, photo) or not at all. */
const INTERNAL_COLUMNS = {
  id: true,
  usernameChangedAt: true,
  profilePhotoId: true,
  profilePhotoKey: true,
  accountDeletionReason: true,
} as const;
type InternalColumn = keyof typeof INTERNAL_COLUMNS;

/** A stored time is an ISO 8601 UTC string in the API. */
type IsoDates<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};
type IsoDateSchemas<Shape> = {
  [K in keyof Shape]: Shape[K] extends z.ZodDate
    ? z.ZodISODateTime
    : Shape[K] extends z.ZodNullable<z.ZodDate>
      ? z.ZodNullable<z.ZodISODateTime>
      : Shape[K];
};

function isoDateSchemas<Shape extends z.ZodRawShape>(shape: Shape): IsoDateSchemas<Shape> {
  const converted = Object.entries(shape).map(([key, schema]) => {
    if (schema instanceof z.ZodDate) return [key, z.iso.datetime()];
    if (schema instanceof z.ZodNullable && schema.unwrap() instanceof z.ZodDate) {
      return [key, z.iso.datetime().nullable()];
    }
    return [key, schema];
  });
  return Object.fromEntries(converted) as IsoDateSchemas<Shape>;
}

/** Only the JSON columns need their element type; everything else comes from the table. */
export const userColumnRefinements = () => ({
  email: z.email().nullable(),
  interests: z.array(z.string()),
  roles: z.array(z.enum(ROLES)),
});

type UserTableSchema = BuildSchema<
  "select",
  (typeof users)["_"]["columns"],
  ReturnType<typeof userColumnRefinements>,
  undefined
>;

function columnSchema(column: Column): z.ZodType {
  if (column.enumValues?.length) return z.enum(column.enumValues as [string, ...string[]]);
  switch (column.dataType) {
    case "string":
      return z.string();
    case "boolean":
      return z.boolean();
    case "date":
      return z.date();
    default:
      throw new Error(`users.${column.name}: a ${column.columnType} column needs a schema here`);
  }
}

/**
 * drizzle-zod's `createSelectSchema(users, userColumnRefinements())`, its type included, built from
 * the table without drizzle-zod in the bundle (about 10 KiB with the drizzle dialect it imports);
 * `test/user-schema.test.ts` checks that both give the same document.
 */
export function userTableSchema(): UserTableSchema {
  const refinements: Record<string, z.ZodType> = userColumnRefinements();
  const shape = Object.fromEntries(
    Object.entries(getTableColumns(users)).map(([key, column]) => {
      const schema = refinements[key] ?? columnSchema(column);
      return [key, column.notNull ? schema : schema.nullable()];
    }),
  );
  return z.object(shape) as unknown as UserTableSchema;
}

// Both describe responses, so they are built only for the OpenAPI document (src/lib/deferred-schema.ts).
export const ProfilePhotoSchema = deferSchema(async () =>
  z
    .object({
      _id: z.string(),
      url: z.url().openapi({ description: `The ${PHOTO_URL_SIZE} px variant` }),
      type: z.literal("image"),
      variants: z.object(bySize(() => z.url())).openapi({
        description:
          "Square WebP variants by size in pixels (a photo stored before variants has one URL for every size)",
      }),
    })
    .nullable()
    .openapi("ProfilePhoto"),
);

/** The seed's user object: every shown column of `users`, plus `_id` and `profilePhoto`. */
export const UserSchema = deferSchema(async () =>
  z
    .object({
      _id: z.string().openapi({ example: "507f1f77bcf86cd799439011" }),
      ...isoDateSchemas(userTableSchema().omit(INTERNAL_COLUMNS).shape),
      profilePhoto: await resolveSchema(ProfilePhotoSchema),
    })
    .openapi("User", {
      example: {
        _id: "507f1f77bcf86cd799439011",
        name: "John",
        surname: "Doe",
        username: "johndoe123",
        availabilityStatus: "available",
        countryCode: "90",
        phoneNumber: "5551234567",
        gender: "male",
        birthDate: "1995-06-15T00:00:00.000Z",
        interests: ["music", "sports", "travel", "cooking", "reading"],
        expertise: "designer",
        privacyPolicyAccepted: true,
        privacyPolicyVersion: "1.2.0",
        termsOfUseAccepted: true,
        termsOfUseVersion: "1.1.0",
        consentFormAccepted: true,
        consentFormVersion: "1.0.0",
        isRegistrationComplete: true,
        roles: ["user"],
        profilePhoto: {
          _id: "507f1f77bcf86cd799439012",
          url: "https://example.com/profile-photos/507f1f77bcf86cd799439011/507f1f77bcf86cd799439012-512.webp",
          type: "image",
          variants: bySize(
            (size) =>
              `https://example.com/profile-photos/507f1f77bcf86cd799439011/507f1f77bcf86cd799439012-${size}.webp`,
          ),
        },
        lastLogin: "2024-01-15T09:30:00.000Z",
        createdAt: "2024-01-15T10:30:00.000Z",
        updatedAt: "2024-01-15T12:30:00.000Z",
        email: "john.doe@example.com",
        bio: "Passionate about technology and travel",
        instagram: "myinstagram",
        tiktok: "mytiktok",
        x: "mytwitterx",
        snapchat: "mysnapchat",
        facebook: "myfacebook",
        accountDeletionStatus: null,
        accountDeletionRequestedAt: null,
        accountDeletionScheduledFor: null,
        accountDeletionCancelledAt: null,
        accountDeletionFinalizedAt: null,
        deletedAt: null,
      },
    }),
);

export type User = z.infer<typeof UserSchema>;

type ShownColumns = IsoDates<Omit<UserRow, InternalColumn>>;

function profilePhoto(row: UserRow, env: Env, requestUrl: string): User["profilePhoto"] {
  if (!row.profilePhotoId || !row.profilePhotoKey) return null;
  return profilePhotoOf(row.profilePhotoId, row.profilePhotoKey, env, requestUrl);
}

/**
 * The API's view of a user row, in the seed's field order (the table's), with `profilePhoto` where
 * its columns are. `requestUrl` locates the media route when no media domain is set.
 */
export function toUser(row: UserRow, env: Env, requestUrl: string): User {
  const view: Record<string, unknown> = { _id: row.id };
  for (const [key, value] of Object.entries(row)) {
    if (key === "profilePhotoId") view.profilePhoto = profilePhoto(row, env, requestUrl);
    if (Object.hasOwn(INTERNAL_COLUMNS, key)) continue;
    view[key] = value instanceof Date ? value.toISOString() : value;
  }
  return view as ShownColumns & Pick<User, "_id" | "profilePhoto">;
}

/** The 200 of the operations that change the profile and answer with the whole user object. */
export const updatedUserResponse = {
  200: {
    description: "The updated user",
    content: { "application/json": { schema: envelopeOf(UserSchema) } },
  },
};
