// Names nobody may register, by why they are reserved. Compared after lowercasing, and through
// their skeletons (username-lookalikes.ts), so lookalikes of them are refused too.

/** Names a person could use to pass for the service or its staff; refused even as one part of a name. */
export const STAFF_AND_BRAND = [
  "abuse",
  "admin",
  "administrator",
  "admins",
  "helpdesk",
  "mod",
  "moderator",
  "moderators",
  "mods",
  "official",
  "postmaster",
  "staff",
  "support",
  "sysadmin",
  "verified",
  "webmaster",
] as const;

/**
 * Staff words that begin or end no ordinary word: refused glued to anything at either end of a
 * part (`realadmin`, `adminjohn`, `unofficial`), while `badminton` keeps its admin inside.
 */
export const NEVER_GLUED: readonly (typeof STAFF_AND_BRAND)[number][] = [
  "admin",
  "admins",
  "administrator",
  "helpdesk",
  "moderator",
  "moderators",
  "official",
  "postmaster",
  "sysadmin",
  "verified",
  "webmaster",
];

/**
 * Words that, glued to a staff word, make a claim to speak for the service (`thestaff`,
 * `realsupport`, `supportcenter`); with the reserved words they are the only glue that counts for
 * the staff words that do begin ordinary words (`stafford`, `supporters`, `modern`).
 */
export const CLAIM_WORDS = [
  "center",
  "centre",
  "chief",
  "crew",
  "desk",
  "global",
  "head",
  "hq",
  "iam",
  "its",
  "lead",
  "main",
  "office",
  "original",
  "real",
  "service",
  "the",
] as const;

/** Paths and pages of the app and its site, which a profile URL could shadow. */
export const ROUTES = [
  "about",
  "account",
  "accounts",
  "api",
  "app",
  "apps",
  "auth",
  "blog",
  "contact",
  "dashboard",
  "delete",
  "docs",
  "feedback",
  "help",
  "home",
  "info",
  "live",
  "login",
  "logout",
  "mail",
  "me",
  "media",
  "news",
  "password",
  "privacy",
  "profile",
  "register",
  "report",
  "settings",
  "signin",
  "signup",
  "stats",
  "status",
  "terms",
  "user",
  "username",
  "users",
  "www",
] as const;

/** Words with a meaning to the system or to clients (mentions, placeholders, literals). */
export const SYSTEM_WORDS = [
  "billing",
  "bot",
  "default",
  "deleted",
  "dev",
  "developer",
  "everyone",
  "false",
  "guest",
  "here",
  "nan",
  "new",
  "nobody",
  "none",
  "null",
  "owner",
  "root",
  "security",
  "system",
  "team",
  "test",
  "true",
  "undefined",
] as const;

export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  ...STAFF_AND_BRAND,
  ...ROUTES,
  ...SYSTEM_WORDS,
]);
