import { afterEach, describe, expect, it, vi } from "vitest";
import { watchD1 } from "./d1-observer";
import { apiWith, createUser, onShardOf, tokenFor } from "./helpers";

/** A shard whose UPDATE statements fail when they run. */
const failingUpdates = (d1: D1Database) =>
  watchD1(d1, { faults: { failStatement: (sql) => /^update/i.test(sql) } }).d1;

afterEach(() => vi.restoreAllMocks());

describe("the log of a failed request", () => {
  it("holds the cause of a failed query but none of its bound values", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => lines.push(String(line)));
    const user = await createUser();
    const response = await apiWith("/api/v1/users/profile", onShardOf(user.id, failingUpdates), {
      method: "PUT",
      token: await tokenFor(user.id),
      json: { name: "Zeynep", surname: "Kaya", email: "zeynep.private@example.com" },
    });

    expect(response.status).toBe(500);
    const logged = lines.join("\n");
    expect(logged).toContain("unhandled error");
    expect(logged).toContain("simulated D1 failure: statement");
    expect(logged).not.toContain("zeynep.private@example.com");
    expect(logged).not.toContain("Zeynep");
    expect(logged).not.toContain("Kaya");
  });
});
