export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;

/** A 24-hex-character id in MongoDB ObjectId style: 4 bytes of seconds, then 8 random bytes. */
export function newObjectId(now = Date.now()): string {
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setUint32(0, Math.floor(now / 1000));
  crypto.getRandomValues(bytes.subarray(4));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
