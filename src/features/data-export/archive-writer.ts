// R2 takes a multipart upload's parts at 5 MiB or more (the last may be smaller), all of one size.
export const PART_BYTES = 5 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Writes an R2 object of unknown length with memory bounded by one part: text is encoded into a
 * part-sized buffer, and each full part is uploaded as it fills. An object that fits in one part
 * is stored with a plain `put` instead. Nothing is visible under the key until `finish()`;
 * `abort()` drops the parts uploaded so far.
 */
export class ArchiveWriter {
  private readonly part = new Uint8Array(PART_BYTES);
  private filled = 0;
  private upload: R2MultipartUpload | undefined;
  private readonly parts: R2UploadedPart[] = [];
  /** Bytes written so far. */
  size = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly options: R2PutOptions & R2MultipartOptions,
  ) {}

  async write(text: string): Promise<void> {
    let bytes = encoder.encode(text);
    this.size += bytes.byteLength;
    while (bytes.byteLength > 0) {
      const taken = Math.min(bytes.byteLength, PART_BYTES - this.filled);
      this.part.set(bytes.subarray(0, taken), this.filled);
      this.filled += taken;
      bytes = bytes.subarray(taken);
      if (this.filled === PART_BYTES) await this.uploadPart();
    }
  }

  private async uploadPart(): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, this.options);
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.part.slice(0, this.filled)));
    this.filled = 0;
  }

  /** Stores the object; the bytes of at most one part were ever held at once. */
  async finish(): Promise<void> {
    if (!this.upload) {
      await this.bucket.put(this.key, this.part.subarray(0, this.filled), this.options);
      return;
    }
    if (this.filled > 0) await this.uploadPart();
    await this.upload.complete(this.parts);
  }

  async abort(): Promise<void> {
    await this.upload?.abort();
  }
}
