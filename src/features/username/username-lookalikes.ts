import type { MessageKey } from "../../lib/i18n";
import { RESERVED_USERNAMES, STAFF_AND_BRAND } from "./reserved-usernames";

// A name's skeleton is what a reader sees in it: ASCII lookalikes folded to one letter (rn reads
// as m, 0 as o, 1 and i as l...), separators (. _) dropped, trailing digits dropped (admin1 reads
// as admin). Two names with one skeleton pass for each other.
const LOOKALIKE_PAIRS: ReadonlyArray<readonly [RegExp, string]> = [
  [/rn/g, "m"],
  [/vv/g, "w"],
];
const LOOKALIKE_LETTERS: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "l",
  i: "l",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "9": "g",
};

/** The skeleton of a lowercased name or part of one. */
export function skeleton(name: string): string {
  let folded = name.replace(/[._]/g, "").replace(/\d+$/, "");
  for (const [pair, letter] of LOOKALIKE_PAIRS) folded = folded.replace(pair, letter);
  return folded.replace(/[01345789i]/g, (character) => LOOKALIKE_LETTERS[character] ?? character);
}

// Leading digits either read as letters (0fficial) or are padding (99admin): try both.
const readings = (name: string) => [skeleton(name), skeleton(name.replace(/^\d+/, ""))];

const RESERVED_SKELETONS: ReadonlySet<string> = new Set([...RESERVED_USERNAMES].map(skeleton));
const STAFF_SKELETONS: ReadonlySet<string> = new Set(STAFF_AND_BRAND.map(skeleton));

const readsAsOneOf = (name: string, skeletons: ReadonlySet<string>) =>
  readings(name).some((reading) => skeletons.has(reading));

/**
 * Why a (lowercased, well-formed) username is refused as reserved, or null. The rules:
 * 1. it is a reserved name: `admin`;
 * 2. its skeleton is a reserved name's: `adm1n`, `admin_`, `admin1`, `0fficial`, `r00t`, `adrnin`;
 * 3. every part between separators reads as a reserved name or is only digits: `support.team`,
 *    `new_user`, `me.2024`;
 * 4. one of its parts reads as a staff or brand name: `admin_john`, `the.0fficial`.
 * A reserved word inside a longer part does not count: `madmind`, `rootbeer_fan`, `johndoe123`.
 */
export function reservedNameRule(name: string): MessageKey | null {
  if (RESERVED_USERNAMES.has(name)) return "username.reserved";
  if (readsAsOneOf(name, RESERVED_SKELETONS)) return "username.lookalike";
  const parts = name.split(/[._]+/).filter(Boolean);
  const reservedOrDigits = (part: string) => /^\d+$/.test(part) || readsAsOneOf(part, RESERVED_SKELETONS);
  const madeOfReservedWords = parts.every(reservedOrDigits) && parts.some((part) => !/^\d+$/.test(part));
  if (parts.length > 1 && madeOfReservedWords) return "username.lookalike";
  if (parts.some((part) => readsAsOneOf(part, STAFF_SKELETONS))) return "username.lookalike";
  return null;
}
