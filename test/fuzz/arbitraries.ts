import fc from "fast-check";
import { PLATFORMS, TIMEZONES } from "../../src/lib/client-headers";

// Hostile inputs for the fuzz suite: strings, JSON texts, bodies, header values and multipart parts.
// JSON is built as text, so bodies can hold what JSON.stringify never writes: duplicate and
// `__proto__` keys, 400-digit numbers, 1e999, nesting 200+ deep, truncated and malformed documents.

// --- Characters and strings

export const CONTROL_CHARS = [
  "\0",
  "\x01",
  "\x07",
  "\b",
  "\t",
  "\n",
  "\v",
  "\f",
  "\r",
  "\x1b",
  "\x7f",
  "\x85",
  "\x9f",
];
export const BIDI_CHARS = [
  "\u200e",
  "\u200f",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2069",
];
export const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"];
const ODD_CHARS = [
  "\ufeff", // BOM
  "\u00a0",
  "\u200b",
  "\u2028",
  "\u3000",
  "\ufffd",
  "\u0301", // combining accent
  "\u{1f600}",
  "\u{10ffff}",
  "İ",
  "ı",
  "ß",
  "\u212a", // Kelvin sign: lowercases to an ASCII k
  "ｆ", // fullwidth
  "@",
  ".",
  "_",
  "\\",
  '"',
  "%",
];

const nastyChar = fc.constantFrom(...CONTROL_CHARS, ...BIDI_CHARS, ...LONE_SURROGATES, ...ODD_CHARS);
/** Mostly printable ASCII, with controls, bidi overrides, lone surrogates and any code point mixed in. */
export const mixedChar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: nastyChar },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

export const NAUGHTY_STRINGS = [
  "",
  " ",
  "\t\n",
  "null",
  "undefined",
  "NaN",
  "true",
  "-1",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "' OR '1'='1",
  "x'); DROP TABLE users; --",
  "<script>alert(1)</script>",
  "../../../etc/passwd",
  "%00",
  "%2e%2e%2f",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, meant literally
  "${jndi:ldap://x/a}",
  "{{7*7}}",
  "\u202egpj.exe",
  "A\0B",
  "\ud800",
  "\udfff\ud800",
  "@",
  "@@x",
  "...",
];

/** 256 to 20,000 characters: some pass the 16 KiB body limit (413), the rest the field limits (400). */
export const hugeString = fc
  .tuple(fc.string({ unit: mixedChar, minLength: 1, maxLength: 4 }), fc.integer({ min: 256, max: 20_000 }))
  .map(([seed, length]) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length));

export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: mixedChar, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NAUGHTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Strings under a few hundred characters: for keys, names and header values. */
export const shortHostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: mixedChar, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NAUGHTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

// --- JSON as text

/** Number literals, including ones that overflow a double or lose precision. */
export const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).map(String),
  fc.integer({ min: 20, max: 400 }).map((digits) => `${"9".repeat(digits)}.${"1".repeat(digits)}`),
  fc.constantFrom("1e999", "-1e999", "1e-999", "-0", "0.1e1", "1E+308", "9007199254740993", "5e-324"),
);

export const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty"];
const hostileKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), shortHostileString);

export const stringText = (strings: fc.Arbitrary<string>) => strings.map((value) => JSON.stringify(value));

/** `{"key":value,...}` from entries whose values are already JSON text; keys may repeat. */
export function objectText(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`;
}

const json = fc.letrec<{ value: string; leaf: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("array"), tie("object")),
  leaf: fc.oneof(fc.constantFrom("null", "true", "false"), numberText, stringText(hostileString)),
  array: fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
  object: fc.array(fc.tuple(hostileKey, tie("value")), { maxLength: 4 }).map(objectText),
}));

/** Any well-formed JSON document (by text), hostile in its strings, keys and numbers. */
export const jsonText = json.value;
export const jsonObjectText = json.object;

/** A JSON value of any type but string and null: the wrong type for every text field. */
export const nonStringJson = fc.oneof(numberText, fc.constantFrom("true", "false"), json.array, json.object);

/** fast-check's own JSON values, and arbitrary JS values (dates, maps, boxed values, ...) through JSON.stringify. */
export const genericJsonText = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .anything({ withDate: true, withMap: true, withSet: true, withTypedArray: true, withBoxedValues: true })
    .map((value) => {
      try {
        return JSON.stringify(value) ?? "null";
      } catch {
        return "null";
      }
    }),
);

/** 200 to 3,000 levels of arrays or objects, sometimes under a real field name. */
export const deepJson = fc
  .record({
    depth: fc.integer({ min: 200, max: 3_000 }),
    shape: fc.constantFrom("array", "object", "mixed"),
    field: fc.constantFrom(null, "name", "interests", "username", "reason", "enabled"),
  })
  .map(({ depth, shape, field }) => {
    const open = { array: "[", object: '{"a":', mixed: '[{"a":' }[shape];
    const close = { array: "]", object: "}", mixed: "}]" }[shape];
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return field ? `{"name":"A","surname":"B",${JSON.stringify(field)}:${nested}}` : nested;
  });

/** Not JSON: truncated documents, JSON5-isms, two documents, BOM, bad escapes. */
export const malformedJson = fc.oneof(
  jsonText.chain((text) => fc.nat(Math.max(0, text.length - 1)).map((end) => text.slice(0, end))),
  fc.constantFrom(
    "",
    "{",
    "[",
    '{"name":',
    "{'name':'x'}",
    '{"name":"x",}',
    "{name:1}",
    "NaN",
    "Infinity",
    "01",
    "+1",
    ".5",
    "\ufeff{}",
    "/* */{}",
    '{"a":1}{"b":2}',
    "\0",
    "tru",
    '"unterminated',
    '{"a":"\\x41"}',
    '{"a":"\\u00"}',
    '{"a":"\t"}',
  ),
  shortHostileString,
);

/** Every kind of body text above. */
export const hostileJsonText = fc.oneof(
  { weight: 4, arbitrary: jsonText },
  { weight: 1, arbitrary: genericJsonText },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: malformedJson },
  { weight: 1, arbitrary: hugeString.map((value) => JSON.stringify({ value })) },
);

// --- Bodies

export type FuzzBody = { contentType: string | null; body: string | Uint8Array };

/**
 * Whether the Headers API takes this value: `new Headers()` accepts it (no NUL, CR or LF inside),
 * and it is ASCII. The Fetch standard also allows bytes 0x80-0xFF and workerd even more, but
 * workerd re-encodes any non-ASCII value as UTF-8 with a warning a line, unlike browsers.
 */
export function acceptedHeaderValue(value: string): boolean {
  if (Array.from(value).some((char) => char.charCodeAt(0) > 0x7f)) return false;
  try {
    new Headers([["x-fuzz", value]]);
    return true;
  } catch {
    return false;
  }
}

export const contentTypeValue = fc.oneof(
  fc.constantFrom(
    null,
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/json;charset=utf-16",
    "application/vnd.api+json",
    "application/merge-patch+json",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=----fuzz",
    "application/octet-stream",
    "*/*",
    "",
  ),
  shortHostileString.filter(acceptedHeaderValue),
);

/** A body with that text, usually as application/json, sometimes any content type or as raw bytes. */
export function asBody(text: fc.Arbitrary<string>): fc.Arbitrary<FuzzBody> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ contentType: fc.constant("application/json"), body: text }) },
    { weight: 2, arbitrary: fc.record({ contentType: contentTypeValue, body: text }) },
    {
      weight: 1,
      arbitrary: fc.record({ contentType: contentTypeValue, body: fc.uint8Array({ maxLength: 512 }) }),
    },
  );
}

export const byteLength = (body: string | Uint8Array) =>
  typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength;

// --- Request bodies of the API

/** A valid full profile (name and surname required, the rest present or not), as JSON entries. */
export const validProfileEntries = fc
  .record(
    {
      name: fc.oneof(
        fc.constantFrom("Ada", "Zoë", "İsmail", "Şule", "O'Brien", "李雷"),
        fc.stringMatching(/^[A-Za-z]{1,50}$/),
      ),
      surname: fc.oneof(
        fc.constantFrom("Lovelace", "Öztürk", "de la Cruz"),
        fc.stringMatching(/^[A-Za-z]{1,50}$/),
      ),
      bio: fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.constant("line one\r\nline two\ttab"))),
      gender: fc.constantFrom("male", "female", "other", "prefer_not_to_say", null),
      birthDate: fc.option(
        fc
          .date({ min: new Date("1950-01-01"), max: new Date("2005-01-01"), noInvalidDate: true })
          .chain((date) =>
            fc.constantFrom(
              date.toISOString().slice(0, 10),
              `${date.toISOString().slice(0, 10)}T00:00:00.000Z`,
            ),
          ),
      ),
      interests: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,30}$/), { maxLength: 10 }),
      expertise: fc.option(fc.string({ maxLength: 50 })),
      availabilityStatus: fc.constantFrom("available", "busy", "away", "offline", null),
      phone: fc.option(fc.tuple(fc.stringMatching(/^\d{1,3}$/), fc.stringMatching(/^\d{4,14}$/))),
      email: fc.option(
        fc
          .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/), fc.nat())
          .map(([local, n]) => `${local}.${n}@example.com`),
      ),
      instagram: fc.option(fc.stringMatching(/^@?[A-Za-z0-9._]{1,30}$/)),
      tiktok: fc.option(fc.stringMatching(/^[A-Za-z0-9._]{1,30}$/)),
      x: fc.option(fc.stringMatching(/^[A-Za-z0-9._]{1,30}$/)),
      snapchat: fc.option(fc.stringMatching(/^[A-Za-z0-9._]{1,30}$/)),
      facebook: fc.option(fc.stringMatching(/^[A-Za-z0-9._]{1,50}$/)),
    },
    { requiredKeys: ["name", "surname"] },
  )
  .map(({ phone, ...fields }) => {
    const profile: Record<string, unknown> = { ...fields };
    if (phone !== undefined) {
      profile.countryCode = phone?.[0] ?? null;
      profile.phoneNumber = phone?.[1] ?? null;
    }
    return Object.entries(profile).map(([key, value]) => [key, JSON.stringify(value)] as const);
  });

export const PROFILE_FIELDS = [
  "name",
  "surname",
  "bio",
  "gender",
  "birthDate",
  "interests",
  "expertise",
  "availabilityStatus",
  "countryCode",
  "phoneNumber",
  "email",
  "instagram",
  "tiktok",
  "x",
  "snapchat",
  "facebook",
] as const;

/** JSON that is never a valid value of `field` (interests: anything but an array of strings). */
export function wrongTypeFor(field: (typeof PROFILE_FIELDS)[number]): fc.Arbitrary<string> {
  if (field !== "interests") return nonStringJson;
  return fc.oneof(
    numberText,
    fc.constantFrom("true", "false"),
    json.object,
    stringText(shortHostileString),
    fc.array(nonStringJson, { minLength: 1, maxLength: 3 }).map((items) => `["music",${items.join(",")}]`),
  );
}

/** A valid profile with one field replaced by a value of the wrong type. */
export const profileWithWrongType = fc
  .constantFrom(...PROFILE_FIELDS)
  .chain((field) =>
    fc.record({ field: fc.constant(field), value: wrongTypeFor(field), entries: validProfileEntries }),
  )
  .map(({ field, value, entries }) => ({
    field,
    text: objectText([...entries.filter(([key]) => key !== field), [field, value]]),
  }));

const READ_ONLY_KEYS = [
  "_id",
  "id",
  "username",
  "roles",
  "accountDeletionStatus",
  "accountDeletionFinalizedAt",
  "profilePhoto",
  "createdAt",
  "updatedAt",
  "deletedAt",
  "isRegistrationComplete",
  "privacyPolicyAccepted",
  "Name",
  "name ",
  "",
];

/** A key the profile update must refuse by name: read-only fields, prototype keys, anything else. */
export const unknownProfileKey = fc
  .oneof(fc.constantFrom(...READ_ONLY_KEYS, ...PROTO_KEYS), shortHostileString)
  .filter((key) => !(PROFILE_FIELDS as readonly string[]).includes(key));

export const profileWithUnknownKey = fc
  .record({ key: unknownProfileKey, value: jsonText, entries: validProfileEntries, at: fc.nat() })
  .map(({ key, value, entries, at }) => {
    const position = at % (entries.length + 1);
    return {
      key,
      text: objectText([...entries.slice(0, position), [key, value], ...entries.slice(position)]),
    };
  });

/** Profile update bodies: valid, one wrong type, one unknown key, or anything at all. */
export const profileBodyText = fc.oneof(
  { weight: 2, arbitrary: validProfileEntries.map(objectText) },
  { weight: 2, arbitrary: profileWithWrongType.map(({ text }) => text) },
  { weight: 1, arbitrary: profileWithUnknownKey.map(({ text }) => text) },
  { weight: 3, arbitrary: hostileJsonText },
);

/** What the flag update body's `enabled` might be. */
export const enabledValueText = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("true", "false") },
  { weight: 1, arbitrary: fc.constantFrom('"true"', "1", "0", "null", "[]", "{}", '"on"') },
  { weight: 1, arbitrary: jsonText },
);

// --- Header values

const asciiChar = fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code));
const asciiString = (maxLength: number) => fc.string({ unit: asciiChar, maxLength });
/** Any string, biased to what a header can carry; those the Headers API refuses are filtered out. */
export const randomHeaderValue = fc
  .oneof(
    { weight: 3, arbitrary: asciiString(40) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: shortHostileString },
    { weight: 1, arbitrary: asciiString(300) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 8_000 }).map((n) => "x".repeat(n)) },
  )
  .filter(acceptedHeaderValue);

/** The header's good values, near misses and random values; only values the Headers API accepts. */
function headerValues(good: fc.Arbitrary<string>, nearMisses: string[]) {
  return fc
    .oneof(
      { weight: 3, arbitrary: good },
      { weight: 2, arbitrary: fc.constantFrom(...nearMisses) },
      { weight: 2, arbitrary: randomHeaderValue },
      // Good values with surrounding whitespace or a different case.
      { weight: 1, arbitrary: good.map((value) => ` ${value}\t`) },
      { weight: 1, arbitrary: good.map((value) => value.toUpperCase()) },
    )
    .filter(acceptedHeaderValue);
}

export const acceptLanguageValue = headerValues(
  fc.constantFrom("en", "tr", "tr-TR,tr;q=0.9", "en-US,en;q=0.5", "tr;q=0.1, en;q=0.9", "de-DE, tr;q=0.5"),
  ["*", "de", "tr;q=0", "en;q=0, tr;q=1", "tr;q=abc", ",,,", ";q=", "tr-", "-", "x".repeat(5000)],
);

export const timezoneValue = headerValues(fc.constantFrom(...TIMEZONES), [
  "utc",
  "GMT",
  "UTC+14:30",
  "UTC-13:00",
  "UTC+3",
  "UTC+03",
  "UTC-00:00",
  "UTC +03:00",
  "UTC+03:00:00",
  "Europe/Istanbul",
  "+03:00",
  "Z",
]);

export const platformValue = headerValues(fc.constantFrom(...PLATFORMS), [
  "ios",
  "android",
  "Web",
  "web,admin",
  "mobile",
  "__proto__",
  "constructor",
  "toString",
]);

/** Versions in the contract's grammar: 1 to 4 numbers, -alpha/-beta/-rc with an optional .N, +build. */
export const validAppVersion = fc.stringMatching(
  /^\d{1,5}(\.\d{1,5}){0,3}(-(alpha|beta|rc)(\.\d{1,5})?)?(\+\d{1,10})?$/,
);

export const appVersionValue = headerValues(
  fc.oneof(
    validAppVersion,
    fc.stringMatching(/^\d{1,6}(\.\d{1,6}){0,4}(-[0-9A-Za-z.-]{1,10})?(\+[0-9a-z.]{0,11})?$/),
  ),
  [
    "1.2.3.4",
    "1.2.3.4.5",
    "1-john.doe",
    "1.2.3-beta.1.2",
    "1.2.3+",
    "v1.2.3",
    "1.",
    "1..2",
    ".1",
    "-beta",
    "1.2.3-",
    "1.2.3+build",
    "1.2.3-beta_1",
    "9".repeat(33),
    `1.2.3-${"a".repeat(26)}`,
  ],
);

export const deviceIdValue = headerValues(fc.string({ minLength: 1, maxLength: 128 }), [
  "x".repeat(128),
  "x".repeat(129),
  "device\x7fid",
  "tab\there",
  "\x01",
]);

export const bookmarkValue = headerValues(
  fc.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/),
  ["0", "00000000-00000000-00000000-0000000000000000000000000000000", "ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ-Z"],
);

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");

const base64urlPart = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
  maxLength: 80,
});

/** Three base64url parts whose header and payload are (hostile) JSON: `alg: none`, other algs, random claims. */
export const forgedJwt = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        '{"alg":"none"}',
        '{"alg":"HS256","typ":"JWT"}',
        '{"alg":"RS256"}',
        '{"alg":"HS256","crit":["x"]}',
      ),
      jsonText,
    ),
    fc.oneof(
      fc
        .stringMatching(/^[0-9a-f]{24}$/)
        .map((sub) => JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600, roles: ["admin"] })),
      jsonText,
    ),
    fc.oneof(fc.constant(""), base64urlPart),
  )
  .map(([header, payload, signature]) => `${base64url(header)}.${base64url(payload)}.${signature}`);

/** Authorization values: random strings, JWT-looking strings, forged tokens, `Bearer` plus garbage. */
export const authorizationValue = fc
  .oneof(
    randomHeaderValue,
    fc.tuple(base64urlPart, base64urlPart, base64urlPart).map((parts) => `Bearer ${parts.join(".")}`),
    fc
      .tuple(
        fc.constantFrom("Bearer ", "bearer ", "BEARER ", "Bearer  ", "Bearer", "Basic ", "Token ", ""),
        forgedJwt,
      )
      .map(([scheme, token]) => `${scheme}${token}`),
    fc
      .tuple(fc.constantFrom("Bearer ", "Bearer", "bearer\t"), fc.oneof(randomHeaderValue, fc.constant("")))
      .map(([scheme, garbage]) => `${scheme}${garbage}`),
  )
  .filter(acceptedHeaderValue);

// --- Multipart parts

export type Part = {
  name: string;
  /** null: a plain text field instead of a file. */
  filename: string | null;
  contentType: string;
  bytes: Uint8Array;
};

/** Ways to spoil an image: cut it, flip bytes, append junk, keep only its magic bytes. */
export function mangledBytes(images: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const image = fc.constantFrom(...images);
  return fc.oneof(
    image.chain((bytes) => fc.nat(bytes.length).map((end) => bytes.slice(0, end))),
    fc
      .tuple(
        image,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      )
      .map(([bytes, flips]) => {
        const copy = bytes.slice();
        for (const [at, value] of flips) copy[at % copy.length] = value;
        return copy;
      }),
    fc.tuple(image, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([bytes, junk]) => {
      const out = new Uint8Array(bytes.length + junk.length);
      out.set(bytes);
      out.set(junk, bytes.length);
      return out;
    }),
    fc.tuple(image, fc.uint8Array({ maxLength: 256 })).map(([bytes, rest]) => {
      const out = new Uint8Array(16 + rest.length);
      out.set(bytes.subarray(0, 16));
      out.set(rest, 16);
      return out;
    }),
  );
}

export const declaredTypeValue = fc.oneof(
  fc.constantFrom(
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/jpg",
    "image/gif",
    "image/svg+xml",
    "text/html",
    "application/octet-stream",
    "",
    "IMAGE/PNG",
    "image/png; charset=utf-8",
  ),
  shortHostileString,
);

export const partName = fc.oneof(
  { weight: 4, arbitrary: fc.constant("file") },
  { weight: 1, arbitrary: fc.constantFrom("File", "file[]", "files", "photo", "", "file ", "__proto__") },
  { weight: 1, arbitrary: shortHostileString },
);

export const fileName = fc.oneof(
  fc.constantFrom("photo.jpg", "photo.png", "x.php", "../../etc/passwd", "a\0b.jpg", "", "\u202egpj.exe"),
  shortHostileString,
);

/** Builds a multipart/form-data body by hand, so names, file names and types reach the parser as given. */
export function multipartBytes(parts: readonly Part[], boundary: string): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const filename = part.filename === null ? "" : `; filename="${part.filename}"`;
    chunks.push(
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n` +
          `Content-Type: ${part.contentType}\r\n\r\n`,
      ),
      part.bytes,
      encoder.encode("\r\n"),
    );
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

// --- Usernames

/** Stands for the user's current username, filled in when the request is sent. */
export const CURRENT_USERNAME = "\0current\0";

/** Variants a client could send for one name: case, surrounding (Unicode) whitespace. */
const spelledAs = (name: string) =>
  fc
    .constantFrom(
      (value: string) => value,
      (value: string) => value.toUpperCase(),
      (value: string) => ` ${value}\t`,
      (value: string) => `\u00a0${value}\u3000`,
      (value: string) => `\ufeff${value}`,
      (value: string) => `${value}\u200b`,
    )
    .map((spell) => spell(name));

/**
 * Candidate usernames: well-formed names (some with `..` or a trailing `.`), reserved names and
 * the taken one in several spellings, the current one, near misses, and hostile strings.
 */
export function usernameCandidate(reserved: readonly string[], taken: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._]{2,29}$/) },
    { weight: 1, arbitrary: fc.constantFrom(...reserved).chain(spelledAs) },
    { weight: 1, arbitrary: spelledAs(taken) },
    { weight: 1, arbitrary: spelledAs(CURRENT_USERNAME) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "\u212aelvin", // Kelvin sign
        "ab",
        "a".repeat(31),
        "a..b",
        "abc.",
        ".abc",
        "_abc",
        "abc_",
        "ab-c",
        "ab c",
        "ab\0c",
        "ab\u202ec",
        "\u0130stanbul",
        "ａｄｍｉｎ",
      ),
    },
    { weight: 2, arbitrary: hostileString },
  );
}

// --- Account deletion

/** Deletion request bodies: a reason (any text, sometimes too long), none, wrong types, extra keys, anything. */
export const deletionBodyText = fc.oneof(
  { weight: 2, arbitrary: stringText(hostileString).map((reason) => objectText([["reason", reason]])) },
  { weight: 1, arbitrary: fc.constantFrom("{}", '{"reason":""}', '{"reason":"   "}', '{"reason":null}') },
  { weight: 1, arbitrary: nonStringJson.map((reason) => objectText([["reason", reason]])) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("userId", "status", "scheduledFor", "graceDays", ...PROTO_KEYS), jsonText)
      .map(([key, value]) =>
        objectText([
          ["reason", '"bye"'],
          [key, value],
        ]),
      ),
  },
  { weight: 2, arbitrary: hostileJsonText },
);
