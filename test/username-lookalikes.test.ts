import { describe, expect, it } from "vitest";
import { reservedNameRule, skeleton } from "../src/features/username/username-lookalikes";
import { statusMessage, t } from "../src/lib/i18n";
import { call, createUser, tokenFor } from "./helpers";

// The lookalike rule, table by table (src/features/username/username-lookalikes.ts):
// 1. a reserved name; 2. the skeleton (0→o, 1→l, i→l, 3→e, 5→s, then rn→m, vv→w, cl→d; . _ and
// trailing digits dropped) of a reserved name; 3. only reserved words, digits and separators;
// 4. a staff or brand name as one part of the name; 5. a staff word glued to another word. A
// reserved word inside a longer part is fine.

describe("skeleton", () => {
  it.each([
    ["admin", "admln"],
    ["adm1n", "admln"],
    ["admin_", "admln"],
    ["a.d.m.i.n", "admln"],
    ["admin2024", "admln"],
    ["0fficial", "offldal"],
    ["officlal", "offldal"],
    ["aclmin", "admln"],
    ["helpclesk", "helpdesk"],
    ["5upp0rt", "support"],
    ["adrnin", "admln"],
    ["vvebmaster", "webmaster"],
    ["s3curity", "securlty"],
  ])("%s reads as %s", (name, expected) => {
    expect(skeleton(name)).toBe(expected);
  });
});

describe("reservedNameRule", () => {
  it.each([
    // rule 1: reserved as it is
    ["admin", "username.reserved"],
    ["support", "username.reserved"],
    // rule 2: the same skeleton
    ["admin_", "username.lookalike"],
    ["admin1", "username.lookalike"],
    ["adm1n", "username.lookalike"],
    ["root_", "username.lookalike"],
    ["official_", "username.lookalike"],
    ["0fficial", "username.lookalike"],
    ["r00t", "username.lookalike"],
    ["adrnin", "username.lookalike"],
    ["vvvvvv", "username.lookalike"],
    ["99admin", "username.lookalike"],
    ["5upport", "username.lookalike"],
    ["a.d.m.i.n", "username.lookalike"],
    // rule 3: reserved words, digits and separators only
    ["support.team", "username.lookalike"],
    ["new_user", "username.lookalike"],
    ["me.2024", "username.lookalike"],
    // rule 4: a staff or brand name as one part
    ["admin_john", "username.lookalike"],
    ["john.0fficial", "username.lookalike"],
    ["the_moderator", "username.lookalike"],
    // rule 2 through cl read as d
    ["aclmin", "username.lookalike"],
    ["helpclesk", "username.lookalike"],
    ["clev", "username.lookalike"],
    // rule 5: a staff word glued to another word
    ["officialsupport", "username.lookalike"],
    ["adminteam", "username.lookalike"],
    ["realadmin", "username.lookalike"],
    ["adminjohn", "username.lookalike"],
    ["john.theadmin", "username.lookalike"],
    ["unofficial", "username.lookalike"],
    ["thestaff", "username.lookalike"],
    ["supportteam", "username.lookalike"],
    ["realsupport_tr", "username.lookalike"],
    ["modteam2", "username.lookalike"],
    ["r3al4dm1n", "username.lookalike"],
  ])("refuses %s (%s)", (name, rule) => {
    expect(reservedNameRule(name)).toBe(rule);
  });

  it.each([
    ["madmind"],
    ["rootbeer_fan"],
    ["johndoe123"],
    ["john.me"],
    ["live_music"],
    ["new.name_1"],
    ["teamwork"],
    ["supporters"],
    ["stafford"],
    ["badminton"],
    ["modern_art"],
    ["clara"],
    ["nicole.clark"],
    ["abused_poet"],
    ["a1b"],
    ["2024_2025"],
  ])("allows %s", (name) => {
    expect(reservedNameRule(name)).toBeNull();
  });
});

describe.each(["en", "tr"] as const)("PATCH /api/v1/users/profile/username: lookalikes (%s)", (language) => {
  it.each([
    ["admin_"],
    ["admin1"],
    ["support.team"],
    ["root_"],
    ["official_"],
    ["adm1n"],
    ["0fficial"],
    ["Aclmin"],
    ["helpclesk"],
    ["officialsupport"],
    ["adminteam"],
    ["realadmin"],
  ])("refuses %s with 400 and the lookalike message", async (username) => {
    const token = await tokenFor((await createUser()).id);
    const { status, body } = await call("/api/v1/users/profile/username", {
      method: "PATCH",
      token,
      json: { username },
      headers: { "accept-language": language },
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      statusMessage(language, 400),
      `username: ${t(language, "username.lookalike")}`,
    ]);
  });
});

describe("PATCH /api/v1/users/profile/username: ordinary names", () => {
  it.each([["madmind"], ["rootbeer_fan"]])("allows %s", async (username) => {
    const token = await tokenFor((await createUser()).id);
    const { status, body } = await call<{ username: string }>("/api/v1/users/profile/username", {
      method: "PATCH",
      token,
      json: { username },
    });
    expect(status).toBe(200);
    expect(body.data.username).toBe(username);
  });
});
