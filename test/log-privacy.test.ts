import { afterEach, describe, expect, it, vi } from "vitest";
import { apiWith, createUser, onShardOf, tokenFor } from "./helpers";

/** A D1 binding whose UPDATE statements fail, inside the request's session. */
function failingUpdates(db: D1Database): D1Database {
  const failUpdates = (session: D1DatabaseSession) =>
    new Proxy(session, {
      get(target, property, receiver) {
        if (property !== "prepare") return Reflect.get(target, property, receiver);
        return (query: string) => {
          const statement = target.prepare(query);
          if (!/^update/i.test(query)) return statement;
          const fail = () => Promise.reject(new Error("D1_ERROR: simulated write failure"));
          return new Proxy(statement, {
            get(inner, name, innerReceiver) {
              if (name === "bind")
                return (...values: unknown[]) => failingStatement(inner.bind(...values), fail);
              return Reflect.get(inner, name, innerReceiver);
            },
          });
        };
      },
    });
  const failingStatement = (statement: D1PreparedStatement, fail: () => Promise<never>) =>
    new Proxy(statement, {
      get(target, name, receiver) {
        if (name === "all" || name === "raw" || name === "run" || name === "first") return fail;
        return Reflect.get(target, name, receiver);
      },
    });
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === "withSession")
        return (constraint?: string) => failUpdates(target.withSession(constraint));
      return Reflect.get(target, property, receiver);
    },
  });
}

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
    expect(logged).toContain("simulated write failure");
    expect(logged).not.toContain("zeynep.private@example.com");
    expect(logged).not.toContain("Zeynep");
    expect(logged).not.toContain("Kaya");
  });
});
