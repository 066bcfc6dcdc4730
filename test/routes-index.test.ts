import { describe, expect, it } from "vitest";
import { ROUTE_TABLE } from "../src/route-table";
import index from "./ROUTES.md?raw";

// test/ROUTES.md tells a newcomer, from a URL, which test files call it. It must name every route
// of the route table, and each file it names must exist and call the route: name its path (or the
// shared DELETION / FINALIZE_NOW constants) and, for a method other than GET, that method.

const testFiles = import.meta.glob<string>("./**/*.test.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

const DOCS_PATHS = ["/media", "/openapi.json", "/favicon.ico", "/docs"];
const urlOf = (path: string) =>
  DOCS_PATHS.some((prefix) => path.startsWith(prefix)) ? path : `/api/v1${path}`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function callsPath(text: string, path: string): boolean {
  if (path === "/users/me/account-deletion" && /\bDELETION\b/.test(text) && text.includes("deletion-helpers"))
    return true;
  if (path === "/users/me/account-deletion/finalize-now" && /\bFINALIZE_NOW\b/.test(text)) return true;
  const url = escapeRegExp(urlOf(path).split("/:")[0] ?? "");
  const end = path.includes("/:") ? "(/|\\$\\{|\\{)" : '(["`?]|$)';
  return new RegExp(`${url}${end}`, "m").test(text);
}

/** The index's rows: route ("GET /users/me") and the files listed for it. */
const rows = index
  .split("\n")
  .filter((line) => line.startsWith("| `"))
  .map((line) => {
    const [, route = "", files = ""] = line.split("|").map((cell) => cell.trim());
    return {
      route: route.replaceAll("`", ""),
      files: [...files.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? ""),
    };
  });

describe("test/ROUTES.md", () => {
  it("lists every route of the route table, and only them", () => {
    const routes = Object.values(ROUTE_TABLE).flatMap((table) =>
      table.map(([method, path]) => `${method} ${path}`),
    );
    expect(rows.map((row) => row.route).toSorted()).toEqual(routes.toSorted());
  });

  it("names only test files that exist and call the route", () => {
    const wrong = rows.flatMap(({ route, files }) => {
      const [method = "", path = ""] = route.split(" ");
      return files.flatMap((file) => {
        const text = testFiles[`./${file}`];
        if (text === undefined) return [`${route}: ${file} does not exist`];
        const calls = callsPath(text, path) && (method === "GET" || text.includes(`"${method}"`));
        return calls ? [] : [`${route}: ${file} does not call it`];
      });
    });
    expect(wrong).toEqual([]);
  });
});
