import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";

// The link is the only credential of a download, so its key is a secret of its own: leaking a
// link never helps forge a token, and rotating one never touches the other.
const encoder = new TextEncoder();

// One import per isolate and secret, as for the JWT key.
const keys = new Map<string, Promise<CryptoKey>>();
function signingKey(secret: string | undefined): Promise<CryptoKey> {
  // Its length is checked with the other settings (src/lib/settings.ts).
  if (!secret) throw new Error("EXPORT_SIGNING_SECRET is not configured");
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** What a signature covers: which export, and until when (epoch seconds). */
const signedText = (exportId: string, expires: number) =>
  encoder.encode(`data-export:${exportId}:${expires}`);

export type SignedLink = { expires: number; signature: string };

/** The one spelling of `expires`: epoch seconds in plain decimal, no leading zero. */
export const CANONICAL_EXPIRES = /^[1-9]\d{0,10}$/;
/** The one spelling of a 32-byte MAC in base64url: 43 characters, the last one's 2 spare bits zero. */
export const CANONICAL_SIGNATURE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export async function signDownload(
  secret: string | undefined,
  exportId: string,
  expiresAt: Date,
): Promise<SignedLink> {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const mac = await crypto.subtle.sign("HMAC", await signingKey(secret), signedText(exportId, expires));
  return { expires, signature: encodeBase64Url(mac).replace(/=+$/, "") };
}

/** Whether `signature` is ours for this export and expiry; compared in constant time by WebCrypto. */
export async function isSignedDownload(
  secret: string | undefined,
  exportId: string,
  link: SignedLink,
): Promise<boolean> {
  const mac = decodeBase64Url(link.signature);
  return crypto.subtle.verify("HMAC", await signingKey(secret), mac, signedText(exportId, link.expires));
}
