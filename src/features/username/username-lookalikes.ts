import type { MessageKey } from "../../lib/i18n";
import { CLAIM_WORDS, NEVER_GLUED, RESERVED_USERNAMES, STAFF_AND_BRAND } from "./reserved-usernames";

// A name's skeleton is what a reader sees in it: ASCII lookalikes folded to one letter (0 as o,
// 1 and i as l..., then rn as m, vv as w, cl as d), separators (. _) dropped, trailing digits
// dropped (admin1 reads as admin). Letters first, so `officlal` and `official` fold alike before
// `cl` reads as `d`. Two names with one skeleton pass for each other.
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
const LOOKALIKE_PAIRS: ReadonlyArray<readonly [RegExp, string]> = [
  [/rn/g, "m"],
  [/vv/g, "w"],
  [/cl/g, "d"],
];

/** The skeleton of a lowercased name or part of one. */
export function skeleton(name: string): string {
  let folded = name
    .replace(/[._]/g, "")
    .replace(/\d+$/, "")
    .replace(/[01345789i]/g, (character) => LOOKALIKE_LETTERS[character] ?? character);
  for (const [pair, letter] of LOOKALIKE_PAIRS) folded = folded.replace(pair, letter);
  return folded;
}

// Leading digits either read as letters (0fficial) or are padding (99admin): try both.
const readings = (name: string) => [skeleton(name), skeleton(name.replace(/^\d+/, ""))];

const skeletons = (words: Iterable<string>): ReadonlySet<string> => new Set([...words].map(skeleton));
const RESERVED_SKELETONS = skeletons(RESERVED_USERNAMES);
const STAFF_SKELETONS = skeletons(STAFF_AND_BRAND);
const NEVER_GLUED_SKELETONS = [...skeletons(NEVER_GLUED)];
const GLUE_SKELETONS = skeletons([...RESERVED_USERNAMES, ...CLAIM_WORDS]);

const readsAsOneOf = (name: string, set: ReadonlySet<string>) =>
  readings(name).some((reading) => set.has(reading));

/** `folded` starts or ends with a staff word that begins or ends no ordinary word. */
const gluedToStaffWord = (folded: string) =>
  NEVER_GLUED_SKELETONS.some(
    (word) => folded.length > word.length && (folded.startsWith(word) || folded.endsWith(word)),
  );

/** `folded` is reserved and claim words run together (digits between them), one of them a staff word. */
function madeOfClaimWords(folded: string): boolean {
  // split[i]: the first i letters split into such words; withStaff[i]: and one of them a staff word.
  const split = [true];
  const withStaff = [false];
  for (let end = 1; end <= folded.length; end += 1) {
    for (let start = 0; start < end; start += 1) {
      const word = folded.slice(start, end);
      if (!split[start] || !(GLUE_SKELETONS.has(word) || /^\d+$/.test(word))) continue;
      split[end] = true;
      if (withStaff[start] || STAFF_SKELETONS.has(word)) withStaff[end] = true;
    }
  }
  return withStaff[folded.length] === true;
}

const staffWordGlued = (part: string) =>
  readings(part).some((folded) => gluedToStaffWord(folded) || madeOfClaimWords(folded));

/**
 * Why a (lowercased, well-formed) username is refused as reserved, or null. The rules:
 * 1. it is a reserved name: `admin`;
 * 2. its skeleton is a reserved name's: `adm1n`, `admin_`, `admin1`, `0fficial`, `r00t`, `adrnin`,
 *    `aclmin`, `helpclesk`;
 * 3. every part between separators reads as a reserved name or is only digits: `support.team`,
 *    `new_user`, `me.2024`;
 * 4. one of its parts reads as a staff or brand name: `admin_john`, `the.0fficial`;
 * 5. a part glues a staff word to another word: `realadmin`, `adminteam`, `officialsupport`,
 *    `thestaff` (NEVER_GLUED words to anything at either end; the others to reserved or claim words).
 * A reserved word inside a longer part does not count: `madmind`, `rootbeer_fan`, `stafford`.
 */
export function reservedNameRule(name: string): MessageKey | null {
  if (RESERVED_USERNAMES.has(name)) return "username.reserved";
  if (readsAsOneOf(name, RESERVED_SKELETONS)) return "username.lookalike";
  const parts = name.split(/[._]+/).filter(Boolean);
  const reservedOrDigits = (part: string) => /^\d+$/.test(part) || readsAsOneOf(part, RESERVED_SKELETONS);
  const madeOfReservedWords = parts.every(reservedOrDigits) && parts.some((part) => !/^\d+$/.test(part));
  if (parts.length > 1 && madeOfReservedWords) return "username.lookalike";
  if (parts.some((part) => readsAsOneOf(part, STAFF_SKELETONS) || staffWordGlued(part))) {
    return "username.lookalike";
  }
  return null;
}
