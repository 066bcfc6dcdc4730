export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;

/** A 24-hex-character id in MongoDB ObjectId style: 4 bytes of seconds, then 8 random bytes. */
export function newObjectId(now = Date.now()): string {
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setUint32(0, Math.floor(now / 1000));
  crypto.getRandomValues(bytes.subarray(4));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * An id of something a user owns that is looked up without the owner's id (an export's download
 * link): its last 10 bits are the owner's bucket (src/db/shards.ts), so the id alone names the shard.
 */
export function newObjectIdInBucket(bucket: number, now = Date.now()): string {
  const id = newObjectId(now);
  const tail = (Number.parseInt(id.slice(-3), 16) & ~0x3ff) | bucket;
  return id.slice(0, -3) + tail.toString(16).padStart(3, "0");
}

/** The bucket an id made by `newObjectIdInBucket` carries. */
export const bucketInObjectId = (id: string) => Number.parseInt(id.slice(-3), 16) & 0x3ff;
