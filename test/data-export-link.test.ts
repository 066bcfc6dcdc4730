import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { signDownload } from "../src/features/data-export/signed-link";
import { statusMessage, t } from "../src/lib/i18n";
import { newObjectId } from "../src/lib/ids";
import { call } from "./helpers";

// A download link has exactly one valid spelling: the one GET /users/me/data-export gives. Other
// spellings of the same expiry or of the same signature are refused before the signature is
// checked, with the 403 of any link that is not the one we signed. A link to an export that does not exist answers 404 once its spelling passes, so the
// canonical link below reaches the signature check and the others do not.

const exportId = newObjectId();
let expires = "";
let signature = "";

beforeAll(async () => {
  const link = await signDownload(env.EXPORT_SIGNING_SECRET, exportId, new Date(Date.now() + 3_600_000));
  expires = String(link.expires);
  signature = link.signature;
});

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The same MAC with the spare low bits of the last character set to `bits` (1 to 3). */
const withSpareBits = (text: string, bits: number) =>
  text.slice(0, -1) + BASE64URL[BASE64URL.indexOf(text.slice(-1)) + bits];

const path = (query: string) => `/api/v1/data-exports/${exportId}/download?${query}`;

describe.each(["en", "tr"] as const)("the download link's one spelling (%s)", (language) => {
  const get = (query: string) => call(path(query), { headers: { "accept-language": language } });

  it("the canonical link passes its spelling and signature (the export is gone: 404)", async () => {
    const { status, body } = await get(`expires=${expires}&signature=${signature}`);
    expect(status).toBe(404);
    expect(body.errors).toEqual([statusMessage(language, 404), t(language, "dataExport.gone")]);
  });

  it.each([
    ["expires", "with a decimal point", () => `expires=${expires}.0&signature=${signature}`],
    ["expires", "in hexadecimal", () => `expires=0x${Number(expires).toString(16)}&signature=${signature}`],
    ["expires", "with an exponent", () => `expires=${expires}e0&signature=${signature}`],
    ["expires", "with a leading space", () => `expires=%20${expires}&signature=${signature}`],
    ["expires", "with a leading zero", () => `expires=0${expires}&signature=${signature}`],
    ["expires", "with a plus sign", () => `expires=%2B${expires}&signature=${signature}`],
    ["signature", "with padding", () => `expires=${expires}&signature=${signature}%3D`],
    ["signature", "with spare bits 01", () => `expires=${expires}&signature=${withSpareBits(signature, 1)}`],
    ["signature", "with spare bits 10", () => `expires=${expires}&signature=${withSpareBits(signature, 2)}`],
    ["signature", "with spare bits 11", () => `expires=${expires}&signature=${withSpareBits(signature, 3)}`],
  ])("refuses %s %s with 403, as a changed link", async (_field, _how, query) => {
    const { status, body } = await get(query());
    expect(status).toBe(403);
    expect(body.errors).toEqual([statusMessage(language, 403), t(language, "dataExport.linkInvalid")]);
  });
});
