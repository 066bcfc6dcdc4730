import { describe, expect, it } from "vitest";
import { apiWith, call, createUser, ISO_UTC, tokenFor, USER_FIELDS } from "./helpers";

const OBJECT_ID = /^[0-9a-f]{24}$/;

type User = Record<(typeof USER_FIELDS)[number], unknown>;

async function getMe(userId: string) {
  const { status, body } = await call<User>("/api/v1/users/me", { token: await tokenFor(userId) });
  expect(status).toBe(200);
  expect(body.isSuccess).toBe(true);
  return body.data;
}

describe("GET /api/v1/users/me: the user object", () => {
  it("has exactly the contract's fields (a new field must be added here on purpose)", async () => {
    const user = await createUser();
    const data = await getMe(user.id);
    expect(Object.keys(data).sort()).toEqual([...USER_FIELDS].sort());
  });

  it("never exposes internal columns", async () => {
    const user = await createUser({
      profilePhotoId: "65f0c0ffee0000000000abcd",
      profilePhotoKey: "profile-photos/x/y.jpg",
      usernameChangedAt: new Date(),
      accountDeletionReason: "private reason text",
    });
    const data = await getMe(user.id);
    const text = JSON.stringify(data);
    for (const internal of [
      "id",
      "profilePhotoId",
      "profilePhotoKey",
      "usernameChangedAt",
      "accountDeletionReason",
    ]) {
      expect(data).not.toHaveProperty(internal);
    }
    expect(text).not.toContain("private reason text");
  });

  it("a minimal user: every field present, null or [] where unset", async () => {
    const now = new Date("2026-01-15T10:30:00.000Z");
    const user = await createUser({
      username: null,
      name: null,
      surname: null,
      email: null,
      isRegistrationComplete: false,
      privacyPolicyAccepted: false,
      termsOfUseAccepted: false,
      consentFormAccepted: false,
      createdAt: now,
      updatedAt: now,
    });
    const data = await getMe(user.id);
    expect(data).toEqual({
      _id: user.id,
      name: null,
      surname: null,
      username: null,
      availabilityStatus: "available",
      countryCode: null,
      phoneNumber: null,
      gender: null,
      birthDate: null,
      interests: [],
      expertise: null,
      privacyPolicyAccepted: false,
      privacyPolicyVersion: null,
      termsOfUseAccepted: false,
      termsOfUseVersion: null,
      consentFormAccepted: false,
      consentFormVersion: null,
      isRegistrationComplete: false,
      roles: ["user"],
      profilePhoto: null,
      lastLogin: null,
      createdAt: "2026-01-15T10:30:00.000Z",
      updatedAt: "2026-01-15T10:30:00.000Z",
      email: null,
      bio: null,
      instagram: null,
      tiktok: null,
      x: null,
      snapchat: null,
      facebook: null,
      accountDeletionStatus: null,
      accountDeletionRequestedAt: null,
      accountDeletionScheduledFor: null,
      accountDeletionCancelledAt: null,
      accountDeletionFinalizedAt: null,
      deletedAt: null,
    });
    expect(data._id).toMatch(OBJECT_ID);
  });

  it("a fully filled user: every column maps to its field", async () => {
    // Distinct instants, so a date mapped to the wrong field shows.
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 15, 10, minute, 0, 0));
    const photoId = "65f0c0ffee0000000000abcd";
    const user = await createUser({
      id: "507f1f77bcf86cd799439011",
      username: "johndoe123",
      name: "John",
      surname: "Doe",
      email: "John.Doe@Example.com",
      availabilityStatus: "busy",
      countryCode: "90",
      phoneNumber: "5551234567",
      gender: "male",
      birthDate: new Date("1995-06-15T00:00:00.000Z"),
      interests: ["music", "sports", "travel"],
      expertise: "designer",
      bio: "Passionate about technology and travel",
      instagram: "myinstagram",
      tiktok: "mytiktok",
      x: "mytwitterx",
      snapchat: "mysnapchat",
      facebook: "myfacebook",
      privacyPolicyAccepted: true,
      privacyPolicyVersion: "1.2.0",
      termsOfUseAccepted: true,
      termsOfUseVersion: "1.1.0",
      consentFormAccepted: true,
      consentFormVersion: "1.0.0",
      isRegistrationComplete: true,
      roles: ["user", "admin"],
      profilePhotoId: photoId,
      profilePhotoKey: `profile-photos/507f1f77bcf86cd799439011/${photoId}.jpg`,
      lastLogin: at(1),
      createdAt: at(2),
      updatedAt: at(3),
      accountDeletionStatus: "cancelled",
      accountDeletionReason: "changed my mind",
      accountDeletionRequestedAt: at(4),
      accountDeletionScheduledFor: at(5),
      accountDeletionCancelledAt: at(6),
      accountDeletionFinalizedAt: at(7),
      deletedAt: at(8),
      usernameChangedAt: at(9),
    });
    const data = await getMe(user.id);
    expect(data).toEqual({
      _id: "507f1f77bcf86cd799439011",
      name: "John",
      surname: "Doe",
      username: "johndoe123",
      availabilityStatus: "busy",
      countryCode: "90",
      phoneNumber: "5551234567",
      gender: "male",
      birthDate: "1995-06-15T00:00:00.000Z",
      interests: ["music", "sports", "travel"],
      expertise: "designer",
      privacyPolicyAccepted: true,
      privacyPolicyVersion: "1.2.0",
      termsOfUseAccepted: true,
      termsOfUseVersion: "1.1.0",
      consentFormAccepted: true,
      consentFormVersion: "1.0.0",
      isRegistrationComplete: true,
      roles: ["user", "admin"],
      // Stored before variants existed: the one object stands for every size.
      profilePhoto: {
        _id: photoId,
        url: `http://localhost/media/profile-photos/507f1f77bcf86cd799439011/${photoId}.jpg`,
        type: "image",
        variants: {
          96: `http://localhost/media/profile-photos/507f1f77bcf86cd799439011/${photoId}.jpg`,
          256: `http://localhost/media/profile-photos/507f1f77bcf86cd799439011/${photoId}.jpg`,
          512: `http://localhost/media/profile-photos/507f1f77bcf86cd799439011/${photoId}.jpg`,
        },
      },
      lastLogin: "2026-01-15T10:01:00.000Z",
      createdAt: "2026-01-15T10:02:00.000Z",
      updatedAt: "2026-01-15T10:03:00.000Z",
      email: "John.Doe@Example.com",
      bio: "Passionate about technology and travel",
      instagram: "myinstagram",
      tiktok: "mytiktok",
      x: "mytwitterx",
      snapchat: "mysnapchat",
      facebook: "myfacebook",
      accountDeletionStatus: "cancelled",
      accountDeletionRequestedAt: "2026-01-15T10:04:00.000Z",
      accountDeletionScheduledFor: "2026-01-15T10:05:00.000Z",
      accountDeletionCancelledAt: "2026-01-15T10:06:00.000Z",
      accountDeletionFinalizedAt: "2026-01-15T10:07:00.000Z",
      deletedAt: "2026-01-15T10:08:00.000Z",
    });
    for (const field of [
      "birthDate",
      "lastLogin",
      "createdAt",
      "updatedAt",
      "accountDeletionRequestedAt",
    ] as const) {
      expect(data[field]).toMatch(ISO_UTC);
    }
  });

  it("a photo's URLs use PUBLIC_MEDIA_BASE_URL when set", async () => {
    const photoId = "65f0c0ffee0000000000beef";
    const user = await createUser({
      profilePhotoId: photoId,
      profilePhotoKey: `profile-photos/u/${photoId}-512.webp`,
    });
    const response = await apiWith(
      "/api/v1/users/me",
      { PUBLIC_MEDIA_BASE_URL: "https://media.example.com/" },
      { token: await tokenFor(user.id) },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: User };
    expect(body.data.profilePhoto).toEqual({
      _id: photoId,
      url: `https://media.example.com/profile-photos/u/${photoId}-512.webp`,
      type: "image",
      variants: {
        96: `https://media.example.com/profile-photos/u/${photoId}-96.webp`,
        256: `https://media.example.com/profile-photos/u/${photoId}-256.webp`,
        512: `https://media.example.com/profile-photos/u/${photoId}-512.webp`,
      },
    });
  });

  it("a photo id without a stored key is no photo", async () => {
    const user = await createUser({ profilePhotoId: "65f0c0ffee0000000000f00d", profilePhotoKey: null });
    expect((await getMe(user.id)).profilePhoto).toBeNull();
  });
});
