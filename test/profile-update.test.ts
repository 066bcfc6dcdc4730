import { describe, expect, it } from "vitest";
import { api, call, createUser, messageOf, tokenFor, USER_FIELDS } from "./helpers";

const PATH = "/api/v1/users/profile";

type User = Record<string, unknown>;

let emailSequence = 0;
const freshEmail = () => `fresh${++emailSequence}.${crypto.randomUUID().slice(0, 8)}@example.com`;

const FULL_BODY = {
  name: "  Jane  ",
  surname: " Roe ",
  bio: "Loves\nlive streams",
  gender: "female",
  birthDate: "1995-06-15",
  interests: ["music", "sports"],
  expertise: "  designer ",
  availabilityStatus: "busy",
  countryCode: "90",
  phoneNumber: "5551234567",
  instagram: "@my.insta",
  tiktok: " @my_tiktok ",
  x: "@myx",
  snapchat: "mysnap",
  facebook: "@my.facebook",
};

/** A user and a function that PUTs a body as that user. */
async function profileUser() {
  const user = await createUser();
  const token = await tokenFor(user.id);
  const put = (json: unknown, headers: Record<string, string> = {}) =>
    call<User>(PATH, { method: "PUT", token, json, headers });
  return { user, token, put };
}

const base = { name: "A", surname: "B" };

async function expectAccepted(json: Record<string, unknown>) {
  const { put } = await profileUser();
  const { status, body } = await put(json);
  expect(status, JSON.stringify(body.errors)).toBe(200);
  expect(body.isSuccess).toBe(true);
  return body.data;
}

/** A 400 in the envelope whose messages after the first name `field`. */
async function expectRefused(json: unknown, field: string) {
  const { put } = await profileUser();
  const { status, body } = await put(json);
  expect(status).toBe(400);
  expect(body.isSuccess).toBe(false);
  expect(body.data).toBeNull();
  expect(body.errors[0]).toBe(messageOf("status.400"));
  expect(
    body.errors.slice(1).some((message) => message.startsWith(`${field}:`)),
    JSON.stringify(body.errors),
  ).toBe(true);
  return body.errors;
}

/** A "YYYY-MM-DD" date `years` years before today (UTC), moved by `days` days. */
function yearsAgo(years: number, days = 0): string {
  const now = new Date();
  const y = now.getUTCFullYear() - years;
  const m = now.getUTCMonth();
  let date = new Date(Date.UTC(y, m, now.getUTCDate()));
  // 29 February in a year without one: the last day of February is the same birthday.
  if (date.getUTCMonth() !== m) date = new Date(Date.UTC(y, m + 1, 0));
  date = new Date(date.getTime() + days * 86_400_000);
  return date.toISOString().slice(0, 10);
}

describe("PUT /api/v1/users/profile: a valid replacement", () => {
  it("returns 200 and the whole user object with the new values, normalized", async () => {
    const { user, token, put } = await profileUser();
    const email = freshEmail();
    const { status, body } = await put({ ...FULL_BODY, email });
    expect(status).toBe(200);
    expect(body.isSuccess).toBe(true);
    expect(body.errors).toEqual([]);
    const data = body.data;
    expect(Object.keys(data).sort()).toEqual([...USER_FIELDS].sort());
    expect(data).toMatchObject({
      _id: user.id,
      username: user.username,
      name: "Jane",
      surname: "Roe",
      bio: "Loves\nlive streams",
      gender: "female",
      birthDate: "1995-06-15T00:00:00.000Z",
      interests: ["music", "sports"],
      expertise: "designer",
      availabilityStatus: "busy",
      countryCode: "90",
      phoneNumber: "5551234567",
      email,
      instagram: "my.insta",
      tiktok: "my_tiktok",
      x: "myx",
      snapchat: "mysnap",
      facebook: "my.facebook",
      roles: ["user"],
      profilePhoto: null,
      accountDeletionStatus: null,
    });
    expect(new Date(data.updatedAt as string).getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());

    // And it was stored: a later read shows the same profile.
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.body.data).toEqual({ ...data, updatedAt: me.body.data.updatedAt });
  });

  it("clears every editable field left out (after they were filled)", async () => {
    const { put, token } = await profileUser();
    const filled = await put({ ...FULL_BODY, email: freshEmail() });
    expect(filled.status).toBe(200);
    expect(filled.body.data.bio).not.toBeNull();

    const { status, body } = await put({ name: "Only", surname: "Names" });
    expect(status).toBe(200);
    const cleared = {
      name: "Only",
      surname: "Names",
      bio: null,
      gender: null,
      birthDate: null,
      interests: [],
      expertise: null,
      availabilityStatus: "available",
      countryCode: null,
      phoneNumber: null,
      email: null,
      instagram: null,
      tiktok: null,
      x: null,
      snapchat: null,
      facebook: null,
    };
    expect(body.data).toMatchObject(cleared);
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.body.data).toMatchObject(cleared);
  });
});

describe("PUT /api/v1/users/profile: name and surname", () => {
  it.each([
    ["name", { surname: "B" }],
    ["surname", { name: "A" }],
    ["name", { name: "", surname: "B" }],
    ["surname", { name: "A", surname: "   " }],
    ["name", { name: "n".repeat(51), surname: "B" }],
    ["surname", { name: "A", surname: "s".repeat(51) }],
  ])("refuses a missing, empty or 51-character %s", async (field, json) => {
    await expectRefused(json, field);
  });

  it("accepts 50 characters", async () => {
    const data = await expectAccepted({ name: "n".repeat(50), surname: "s".repeat(50) });
    expect(data.name).toBe("n".repeat(50));
    expect(data.surname).toBe("s".repeat(50));
  });

  it.each([
    ["\\u0000", "Ja\u0000ne"],
    ["\\u0007", "Ja\u0007ne"],
    ["\\u202E", "Ja\u202Ene"],
    ["a newline", "Ja\nne"],
  ])("refuses %s in a name", async (_label, name) => {
    const errors = await expectRefused({ name, surname: "B" }, "name");
    expect(errors).toContain(`name: ${messageOf("text.forbiddenCharacters")}`);
  });

  it("allows a newline in the bio", async () => {
    const data = await expectAccepted({ ...base, bio: "line one\nline two" });
    expect(data.bio).toBe("line one\nline two");
  });
});

describe("PUT /api/v1/users/profile: limits, one passing and one failing case each", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ["bio 300", { bio: "b".repeat(300) }, { bio: "b".repeat(300) }],
    [
      "interests 10",
      { interests: Array.from({ length: 10 }, (_, i) => `interest${i}`) },
      { interests: Array.from({ length: 10 }, (_, i) => `interest${i}`) },
    ],
    ["interest 30 chars", { interests: ["i".repeat(30)] }, { interests: ["i".repeat(30)] }],
    ["expertise 50", { expertise: "e".repeat(50) }, { expertise: "e".repeat(50) }],
    ["gender prefer_not_to_say", { gender: "prefer_not_to_say" }, { gender: "prefer_not_to_say" }],
    ["availabilityStatus offline", { availabilityStatus: "offline" }, { availabilityStatus: "offline" }],
    ["countryCode 1 digit", { countryCode: "1", phoneNumber: "5551" }, { countryCode: "1" }],
    ["countryCode 3 digits", { countryCode: "355", phoneNumber: "5551" }, { countryCode: "355" }],
    ["phoneNumber 4 digits", { countryCode: "90", phoneNumber: "1234" }, { phoneNumber: "1234" }],
    [
      "phoneNumber 14 digits",
      { countryCode: "90", phoneNumber: "12345678901234" },
      { phoneNumber: "12345678901234" },
    ],
    ["handle 30 chars", { instagram: "i".repeat(30) }, { instagram: "i".repeat(30) }],
    ["handle @ + 30 chars", { tiktok: `@${"t".repeat(30)}` }, { tiktok: "t".repeat(30) }],
    ["facebook 50 chars", { facebook: "f".repeat(50) }, { facebook: "f".repeat(50) }],
    ["email", { email: "someone.valid@example.org" }, { email: "someone.valid@example.org" }],
  ])("accepts %s", async (_label, extra, expected) => {
    const data = await expectAccepted({ ...base, ...extra });
    expect(data).toMatchObject(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["bio 301", { bio: "b".repeat(301) }, "bio"],
    ["interests 11", { interests: Array.from({ length: 11 }, (_, i) => `interest${i}`) }, "interests"],
    ["a duplicate interest", { interests: ["music", "sports", "music"] }, "interests"],
    ["an interest of 31 chars", { interests: ["i".repeat(31)] }, "interests.0"],
    ["expertise 51", { expertise: "e".repeat(51) }, "expertise"],
    ["an unknown gender", { gender: "robot" }, "gender"],
    ["an unknown availabilityStatus", { availabilityStatus: "sleeping" }, "availabilityStatus"],
    ["countryCode 9000", { countryCode: "9000", phoneNumber: "5551234" }, "countryCode"],
    ["countryCode 9a", { countryCode: "9a", phoneNumber: "5551234" }, "countryCode"],
    ["phoneNumber 3 digits", { countryCode: "90", phoneNumber: "123" }, "phoneNumber"],
    ["phoneNumber 15 digits", { countryCode: "90", phoneNumber: "123456789012345" }, "phoneNumber"],
    ["phoneNumber with a letter", { countryCode: "90", phoneNumber: "55512a4567" }, "phoneNumber"],
    ["countryCode without phoneNumber", { countryCode: "90" }, "phoneNumber"],
    ["phoneNumber without countryCode", { phoneNumber: "5551234567" }, "phoneNumber"],
    ["age 12", { birthDate: yearsAgo(13, 1) }, "birthDate"],
    ["age 121", { birthDate: yearsAgo(121) }, "birthDate"],
    ["an invalid date", { birthDate: "1995-13-40" }, "birthDate"],
    ["a handle of 31 chars", { instagram: "i".repeat(31) }, "instagram"],
    ["facebook 51 chars", { facebook: "f".repeat(51) }, "facebook"],
    ["a space in a handle", { x: "my x" }, "x"],
    ["a dash in a handle", { snapchat: "my-snap" }, "snapchat"],
    ["an invalid email", { email: "not-an-email" }, "email"],
    ["an email without a domain", { email: "someone@" }, "email"],
  ])("refuses %s", async (_label, extra, field) => {
    await expectRefused({ ...base, ...extra }, field);
  });

  it("accepts countryCode 90 with a phone number", async () => {
    const data = await expectAccepted({ ...base, countryCode: "90", phoneNumber: "5551234567" });
    expect(data).toMatchObject({ countryCode: "90", phoneNumber: "5551234567" });
  });

  it("accepts an age of exactly 13 and of 120, relative to today", async () => {
    const thirteen = yearsAgo(13);
    expect((await expectAccepted({ ...base, birthDate: thirteen })).birthDate).toBe(
      `${thirteen}T00:00:00.000Z`,
    );
    const oldest = yearsAgo(121, 1);
    expect((await expectAccepted({ ...base, birthDate: oldest })).birthDate).toBe(`${oldest}T00:00:00.000Z`);
  });

  it("names the age rule and the date format in its messages", async () => {
    expect(await expectRefused({ ...base, birthDate: yearsAgo(12) }, "birthDate")).toContain(
      `birthDate: ${messageOf("profile.age", "en", { minimum: 13, maximum: 120 })}`,
    );
    expect(await expectRefused({ ...base, birthDate: "1995-13-40" }, "birthDate")).toContain(
      `birthDate: ${messageOf("profile.birthDate")}`,
    );
  });
});

describe("PUT /api/v1/users/profile: read-only and unknown keys", () => {
  it.each([
    ["roles", ["admin"]],
    ["username", "someone_else"],
    ["_id", "507f1f77bcf86cd799439011"],
    ["profilePhoto", { _id: "507f1f77bcf86cd799439012", url: "https://evil.example/x.jpg", type: "image" }],
    ["accountDeletionStatus", null],
    ["createdAt", "2020-01-01T00:00:00.000Z"],
    ["isAdmin", true],
  ])("refuses %s with a 400 naming it, and changes nothing", async (key, value) => {
    const { put, token, user } = await profileUser();
    const { status, body } = await put({ ...base, [key]: value });
    expect(status).toBe(400);
    expect(body.errors[0]).toBe(messageOf("status.400"));
    expect(body.errors).toContain(`${key}: is not an accepted field`);
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.body.data).toMatchObject({ name: user.name, roles: ["user"], username: user.username });
  });

  it("refuses a raw __proto__ key by name", async () => {
    const { token } = await profileUser();
    const response = await api(PATH, {
      method: "PUT",
      token,
      headers: { "content-type": "application/json" },
      body: '{"name":"A","surname":"B","__proto__":{"x":1}}',
    });
    const body = (await response.json()) as { errors: string[] };
    expect(response.status).toBe(400);
    expect(body.errors).toContain(`__proto__: ${messageOf("request.unknownField")}`);
  });

  it("answers in Turkish when asked", async () => {
    const { put } = await profileUser();
    const { status, body } = await put(
      { ...base, countryCode: "9000", phoneNumber: "5551234", roles: ["admin"] },
      { "accept-language": "tr-TR,tr;q=0.9" },
    );
    expect(status).toBe(400);
    expect(body.errors[0]).toBe(messageOf("status.400", "tr"));
    expect(body.errors).toContain(`countryCode: ${messageOf("profile.countryCode", "tr")}`);
    expect(body.errors).toContain(`roles: ${messageOf("request.unknownField", "tr")}`);
  });
});

describe("PUT /api/v1/users/profile: the request body itself", () => {
  it("refuses malformed JSON with 400", async () => {
    const { token } = await profileUser();
    const response = await api(PATH, {
      method: "PUT",
      token,
      headers: { "content-type": "application/json" },
      body: '{"name":"A",',
    });
    const body = (await response.json()) as { isSuccess: boolean; errors: string[] };
    expect(response.status).toBe(400);
    expect(body.isSuccess).toBe(false);
    expect(body.errors).toEqual([messageOf("status.400"), messageOf("request.malformedJson")]);
  });

  it("refuses a text/plain body with 415", async () => {
    const { token } = await profileUser();
    const response = await api(PATH, {
      method: "PUT",
      token,
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(base),
    });
    const body = (await response.json()) as { isSuccess: boolean; statusCode: number; errors: string[] };
    expect(response.status).toBe(415);
    expect(body).toMatchObject({ isSuccess: false, statusCode: 415 });
    expect(body.errors[0]).toBe(messageOf("status.415"));
  });

  it("refuses a body over 16 KiB with 413", async () => {
    const { put } = await profileUser();
    const { status, body } = await put({ ...base, bio: "b".repeat(17 * 1024) });
    expect(status).toBe(413);
    expect(body.isSuccess).toBe(false);
    expect(body.errors).toEqual([
      messageOf("status.413"),
      messageOf("request.tooLarge", "en", { limit: 16384 }),
    ]);
  });
});

describe("PUT /api/v1/users/profile: email uniqueness", () => {
  it("refuses an email another user has, ignoring case, with 409 and a second message", async () => {
    await createUser({ email: "a@example.com" });
    const { put, token } = await profileUser();
    const { status, body } = await put({ ...base, email: "A@Example.com" });
    expect(status).toBe(409);
    expect(body.errors).toEqual([messageOf("status.409"), messageOf("profile.emailTaken")]);
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.body.data.email).not.toBe("A@Example.com");
  });

  it("accepts setting your own email again", async () => {
    const { put, user } = await profileUser();
    const { status, body } = await put({ ...base, email: user.email });
    expect(status).toBe(200);
    expect(body.data.email).toBe(user.email);
  });

  it("lets exactly one of two parallel requests take a new email", async () => {
    const [first, second] = await Promise.all([profileUser(), profileUser()]);
    const email = freshEmail();
    const results = await Promise.all([first.put({ ...base, email }), second.put({ ...base, email })]);
    const statuses = results.map((result) => result.status);
    const ok = statuses.filter((status) => status === 200).length;
    const conflict = statuses.filter((status) => status === 409).length;
    expect(ok).toBe(1);
    expect(conflict).toBe(1);
  });
});
