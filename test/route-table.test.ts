import { describe, expect, it } from "vitest";
import { FEATURES } from "../src/features";
import { routesOf } from "../src/lib/lazy-router";
import { ROUTE_TABLE } from "../src/route-table";
import { api } from "./helpers";

// src/route-table.ts lets the app register every route at startup without loading any feature; it
// is generated from the routers by `npm run routes`, and must say what they say.

describe("src/route-table.ts", () => {
  it("lists every feature, and only them", () => {
    expect(Object.keys(ROUTE_TABLE)).toEqual(Object.keys(FEATURES));
  });

  for (const [name, feature] of Object.entries(FEATURES)) {
    it(`has the routes of ${name}'s router, in order (else run npm run routes)`, async () => {
      expect(ROUTE_TABLE[name as keyof typeof FEATURES]).toEqual(routesOf(await feature.load()));
    });
  }
});

describe("a feature's router, loaded on its first request", () => {
  it("answers with its path parameters, validators and hooks in place", async () => {
    // The media route's own hook answers 404 for an invalid name; its params come from the app's match.
    const invalid = await api("/media/profile-photos/507f1f77bcf86cd799439011/not-a-photo.txt");
    expect(invalid.status).toBe(404);
    const missing = await api(
      "/media/profile-photos/507f1f77bcf86cd799439011/507f1f77bcf86cd799439012-96.webp",
    );
    expect(missing.status).toBe(404);
  });

  it("turns an error thrown inside the router into the envelope, through the app's onError", async () => {
    const response = await api("/api/v1/users/me");
    expect(response.status).toBe(401);
    const body = (await response.json()) as { isSuccess: boolean; errors: string[] };
    expect(body.isSuccess).toBe(false);
    expect(body.errors[0]).toBe("Authentication required");
  });
});
