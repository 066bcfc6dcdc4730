/** What each container module (JPEG, PNG, WebP) provides to photo-image.ts. */
export type Format = {
  /** Whether the leading magic bytes announce this format. */
  matches(bytes: Uint8Array): boolean;
  /** Size from the header; null when the structure is truncated, malformed or carries no pixel data. */
  size(bytes: Uint8Array): Size | null;
};

export type Size = { width: number; height: number };

export const dataView = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const ascii = (bytes: Uint8Array, at: number, length: number) =>
  String.fromCharCode(...bytes.subarray(at, at + length));

/** Whether `expected` (ASCII text or byte values) occurs in `bytes` at `at`. */
export function matchesAt(bytes: Uint8Array, at: number, expected: string | readonly number[]): boolean {
  for (let i = 0; i < expected.length; i++) {
    const want = typeof expected === "string" ? expected.charCodeAt(i) : expected[i];
    if (bytes[at + i] !== want) return false;
  }
  return true;
}
