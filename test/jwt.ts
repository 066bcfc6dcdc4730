// Signing helpers for tokens as an issuer makes them: any header, any key.

const encoder = new TextEncoder();

export type Claims = Record<string, unknown>;

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const array = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const byte of array) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export const part = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)));
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Standard claims for `sub`, valid for an hour; `extra` overrides, an `undefined` value drops a claim. */
export function claimsFor(sub: string, extra: Claims = {}): Claims {
  const now = nowSeconds();
  return { sub, iat: now, exp: now + 3600, ...extra };
}

/** Signs `header.payload` with a WebCrypto key, whatever `header.alg` claims. */
export async function signJwt(header: Claims, payload: Claims, key: CryptoKey): Promise<string> {
  const input = `${part(header)}.${part(payload)}`;
  const algorithm = key.algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : key.algorithm.name;
  return `${input}.${base64url(await crypto.subtle.sign(algorithm, key, encoder.encode(input)))}`;
}

export function hmacKey(secret: string, hash: "SHA-256" | "SHA-512") {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
}

export async function rsaKeyPair() {
  return (await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
}

export async function ecKeyPair() {
  return (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
}

export async function publicJwk(pair: CryptoKeyPair, kid: string, alg: string) {
  const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  return { kty: jwk.kty, n: jwk.n, e: jwk.e, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg, use: "sig" };
}
