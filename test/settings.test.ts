import { afterEach, describe, expect, it, vi } from "vitest";
import { callWith, createUser, tokenFor } from "./helpers";

// Settings are parsed once per env by one schema: an empty value is its default, a bad one a 500
// whose log line names it (the client only ever sees the generic message).

afterEach(() => {
  vi.restoreAllMocks();
});

async function withSettings(overrides: Partial<Env>) {
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => lines.push(String(line)));
  const user = await createUser();
  const result = await callWith("/api/v1/users/me/account-deletion", overrides, {
    method: "POST",
    token: await tokenFor(user.id),
  });
  return { ...result, logged: lines.join("\n") };
}

describe("settings", () => {
  it.each([
    ["ACCOUNT_DELETION_GRACE_DAYS", { ACCOUNT_DELETION_GRACE_DAYS: "four weeks" }],
    ["ACCOUNT_DELETION_GRACE_DAYS", { ACCOUNT_DELETION_GRACE_DAYS: "-1" }],
    ["JWT_ALGORITHM", { JWT_ALGORITHM: "HS512" }],
    ["JWT_JWKS_URL", { JWT_ALGORITHM: "RS256" }],
    ["PUBLIC_MEDIA_BASE_URL", { PUBLIC_MEDIA_BASE_URL: "not a url" }],
  ])("a bad %s is a 500 whose log names it", async (name, overrides) => {
    const { status, body, logged } = await withSettings(overrides);
    expect(status).toBe(500);
    expect(body.errors).toEqual(["Internal server error"]);
    expect(logged).toContain("invalid settings");
    expect(logged).toContain(name);
  });

  it("an empty value means the default", async () => {
    const { status, body } = await withSettings({ ACCOUNT_DELETION_GRACE_DAYS: "" });
    expect(status).toBe(200);
    const { requestedAt, scheduledFor } = body.data as { requestedAt: string; scheduledFor: string };
    expect(Date.parse(scheduledFor) - Date.parse(requestedAt)).toBe(28 * 24 * 60 * 60 * 1000);
  });
});
