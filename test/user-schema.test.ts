import { OpenAPIHono } from "@hono/zod-openapi";
import { createSelectSchema } from "drizzle-zod";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema";
import { userColumnRefinements, userTableSchema } from "../src/users/user-view";

/** The OpenAPI schema the document would show for `schema`, through the generator it uses. */
function documented(schema: Parameters<OpenAPIHono["openAPIRegistry"]["register"]>[1]) {
  const app = new OpenAPIHono();
  app.openAPIRegistry.register("Checked", schema);
  const document = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
  return document.components?.schemas?.Checked;
}

// The bundle builds the user object's columns from the table itself; drizzle-zod (a devDependency
// now) is the reference for what that schema must be.
describe("the users table's schema", () => {
  it("is the one drizzle-zod builds from the table, column for column", () => {
    const reference = createSelectSchema(users, userColumnRefinements());
    const ours = userTableSchema();
    expect(Object.keys(ours.shape)).toEqual(Object.keys(reference.shape));
    expect(documented(ours)).toEqual(documented(reference));
  });

  it("tells nullable columns from required ones, and keeps the enums", () => {
    const shown = documented(userTableSchema()) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(shown.required).toContain("name");
    expect(shown.properties.name).toEqual({ type: ["string", "null"] });
    expect(shown.properties.availabilityStatus).toEqual({
      type: "string",
      enum: ["available", "busy", "away", "offline"],
    });
  });
});
