import * as z from "zod";
import "@hono/zod-openapi";
import {
  ACCOUNT_DELETION_STATUSES,
  AVAILABILITY_STATUSES,
  GENDERS,
  ROLES,
  type UserRow,
} from "../../db/schema";
import { bySize, PHOTO_URL_SIZE, profilePhotoOf } from "../media/photo-keys";

const isoDate = z.iso.datetime();
const nullableDate = isoDate.nullable();

// The seed's user object, field for field, in the seed's order.
export const UserSchema = z
  .object({
    _id: z.string().openapi({ example: "507f1f77bcf86cd799439011" }),
    name: z.string().nullable(),
    surname: z.string().nullable(),
    username: z.string().nullable(),
    availabilityStatus: z.enum(AVAILABILITY_STATUSES),
    countryCode: z.string().nullable(),
    phoneNumber: z.string().nullable(),
    gender: z.enum(GENDERS).nullable(),
    birthDate: nullableDate,
    interests: z.array(z.string()),
    expertise: z.string().nullable(),
    privacyPolicyAccepted: z.boolean(),
    privacyPolicyVersion: z.string().nullable(),
    termsOfUseAccepted: z.boolean(),
    termsOfUseVersion: z.string().nullable(),
    consentFormAccepted: z.boolean(),
    consentFormVersion: z.string().nullable(),
    isRegistrationComplete: z.boolean(),
    roles: z.array(z.enum(ROLES)),
    profilePhoto: z
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
    lastLogin: nullableDate,
    createdAt: isoDate,
    updatedAt: isoDate,
    email: z.email().nullable(),
    bio: z.string().nullable(),
    instagram: z.string().nullable(),
    tiktok: z.string().nullable(),
    x: z.string().nullable(),
    snapchat: z.string().nullable(),
    facebook: z.string().nullable(),
    accountDeletionStatus: z.enum(ACCOUNT_DELETION_STATUSES).nullable(),
    accountDeletionRequestedAt: nullableDate,
    accountDeletionScheduledFor: nullableDate,
    accountDeletionCancelledAt: nullableDate,
    accountDeletionFinalizedAt: nullableDate,
    deletedAt: nullableDate,
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
  });

export type User = z.infer<typeof UserSchema>;

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The API's view of a user row. `requestUrl` locates the media route when no media domain is set. */
export function toUser(row: UserRow, env: Env, requestUrl: string): User {
  return {
    _id: row.id,
    name: row.name,
    surname: row.surname,
    username: row.username,
    availabilityStatus: row.availabilityStatus,
    countryCode: row.countryCode,
    phoneNumber: row.phoneNumber,
    gender: row.gender,
    birthDate: iso(row.birthDate),
    interests: row.interests,
    expertise: row.expertise,
    privacyPolicyAccepted: row.privacyPolicyAccepted,
    privacyPolicyVersion: row.privacyPolicyVersion,
    termsOfUseAccepted: row.termsOfUseAccepted,
    termsOfUseVersion: row.termsOfUseVersion,
    consentFormAccepted: row.consentFormAccepted,
    consentFormVersion: row.consentFormVersion,
    isRegistrationComplete: row.isRegistrationComplete,
    roles: row.roles,
    profilePhoto:
      row.profilePhotoId && row.profilePhotoKey
        ? profilePhotoOf(row.profilePhotoId, row.profilePhotoKey, env, requestUrl)
        : null,
    lastLogin: iso(row.lastLogin),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    email: row.email,
    bio: row.bio,
    instagram: row.instagram,
    tiktok: row.tiktok,
    x: row.x,
    snapchat: row.snapchat,
    facebook: row.facebook,
    accountDeletionStatus: row.accountDeletionStatus,
    accountDeletionRequestedAt: iso(row.accountDeletionRequestedAt),
    accountDeletionScheduledFor: iso(row.accountDeletionScheduledFor),
    accountDeletionCancelledAt: iso(row.accountDeletionCancelledAt),
    accountDeletionFinalizedAt: iso(row.accountDeletionFinalizedAt),
    deletedAt: iso(row.deletedAt),
  };
}
