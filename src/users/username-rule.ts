// The username's spelling, for the API's schema and the scripts (scripts/dev-user.mjs) alike: 3 to
// 30 of a-z 0-9 . _, starting with a letter or digit, no "..", not ending in ".". Upper case is
// accepted and lowercased before the check, so the documented pattern allows it too. No imports:
// Node runs this file as it is.

export const USERNAME_MAX_LENGTH = 30;

export const USERNAME_PATTERN = /^(?=.{3,30}$)[A-Za-z0-9](?!.*\.\.)[A-Za-z0-9._]*(?<!\.)$/;
