import { describe, expect, it } from "vitest";
import { call, createUser, tokenFor } from "./helpers";

describe("GET /api/v1/health", () => {
  it("answers in the envelope without a token", async () => {
    const { status, body } = await call("/api/v1/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({ isSuccess: true, statusCode: 200, data: { status: "ok" }, errors: [] });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  });
});

describe("GET /api/v1/users/me", () => {
  it("returns the token's user", async () => {
    const user = await createUser();
    const { status, body } = await call<{ _id: string }>("/api/v1/users/me", {
      token: await tokenFor(user.id),
    });
    expect(status).toBe(200);
    expect(body.data._id).toBe(user.id);
  });
});
