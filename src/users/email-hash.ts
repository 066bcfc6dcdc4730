import { encodeBase64Url } from "hono/utils/encode";

// The directory's name for an email, shared by the Worker and the local scripts (seed, dev:user).
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256 of the trimmed, lowercased address under `secret` (EMAIL_HASH_SECRET), base64url. */
export async function emailHash(secret: string, email: string): Promise<string> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(secret, key);
  }
  const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(email.trim().toLowerCase()));
  return encodeBase64Url(mac).replace(/=+$/, "");
}
