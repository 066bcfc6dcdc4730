// The phone-photo and crafted-metadata fixtures, made with sharp (a devDependency, so no system
// tools) plus byte surgery where a real file carries something no encoder writes on request.
// Called by scripts/make-photo-fixtures.mjs; deterministic, so a rerun gives the same bytes.
import { writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import sharp from "sharp";

const u16 = (n) => Buffer.from([(n >>> 8) & 255, n & 255]);
const u32 = (n) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u32le = (n) => Buffer.from([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]);
const u24le = (n) => Buffer.from([n & 255, (n >>> 8) & 255, (n >>> 16) & 255]);

// A made-up minimal ICC v2 RGB profile (rather than a vendor's copyrighted one). Its description,
// "fixture-icc-profile", is stored uncompressed in JPEG APP2 and WebP ICCP, so tests can find it.
export function iccProfile(description) {
  const s15 = (x) => Math.round(x * 65536);
  const xyz = (x, y, z) => tag("XYZ ", [s15(x), s15(y), s15(z)].map(u32));
  const tag = (type, parts) => Buffer.concat([Buffer.from(type), Buffer.alloc(4), ...parts]);
  const text = Buffer.from(`${description}\0`);
  const tags = [
    ["desc", tag("desc", [u32(text.length), text, Buffer.alloc(4 + 4 + 2 + 1 + 67)])],
    ["cprt", tag("text", [Buffer.from("No copyright, use freely\0")])],
    ["wtpt", xyz(0.9642, 1, 0.8249)],
    ["rXYZ", xyz(0.4361, 0.2225, 0.0139)],
    ["gXYZ", xyz(0.3851, 0.7169, 0.0971)],
    ["bXYZ", xyz(0.1431, 0.0606, 0.7141)],
    ["rTRC", tag("curv", [u32(1), Buffer.from([2, 0x33])])], // gamma 2.2 as u8Fixed8
  ];
  tags.push(["gTRC", tags[6][1]], ["bTRC", tags[6][1]]);
  const table = [u32(tags.length)];
  const data = [];
  let offset = 128 + 4 + tags.length * 12;
  for (const [signature, body] of tags) {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    table.push(Buffer.from(signature), u32(offset), u32(body.length));
    data.push(padded);
    offset += padded.length;
  }
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write("mntrRGB XYZ ", 12);
  header.writeUInt16BE(2024, 24); // creation date 2024-01-01 00:00:00
  header.writeUInt16BE(1, 26);
  header.writeUInt16BE(1, 28);
  header.write("acsp", 36);
  xyz(0.9642, 1, 0.8249).copy(header, 68, 8); // D50 illuminant
  return Buffer.concat([header, ...table, ...data]);
}

/** Raw RGB that compresses like a photo: smooth light, some texture and a little sensor noise. */
function photoPixels(width, height, seed) {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed;
  const noise = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return (state >>> 24) / 255 - 0.5;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const texture = Math.sin(x / 7 + Math.sin(y / 23) * 3) * Math.cos(y / 11) * 18;
      const at = (y * width + x) * 3;
      pixels[at] = clamp(60 + 150 * u + texture + noise() * 14);
      pixels[at + 1] = clamp(90 + 80 * v + texture * 0.6 + noise() * 14);
      pixels[at + 2] = clamp(170 - 110 * u * v + noise() * 14);
    }
  }
  return pixels;
}
const clamp = (value) => Math.max(0, Math.min(255, Math.round(value)));

const photo = (width, height, seed = 1) =>
  sharp(photoPixels(width, height, seed), { raw: { width, height, channels: 3 } });

// --- JPEG byte surgery ---------------------------------------------------------------------------
const segment = (marker, payload) =>
  Buffer.concat([Buffer.from([0xff, marker]), u16(payload.length + 2), payload]);

/** Where the APPn segments right after SOI end: where a camera puts the next metadata segment. */
function afterAppSegments(jpeg) {
  let at = 2;
  while (jpeg[at] === 0xff && jpeg[at + 1] >= 0xe0 && jpeg[at + 1] <= 0xef)
    at += 2 + jpeg.readUInt16BE(at + 2);
  return at;
}
const insertAt = (bytes, at, ...parts) =>
  Buffer.concat([bytes.subarray(0, at), ...parts, bytes.subarray(at)]);
const withSegments = (jpeg, ...segments) => insertAt(jpeg, afterAppSegments(jpeg), ...segments);

/**
 * A multi-picture JPEG as Android phones write for Ultra HDR and camera previews: the primary image
 * with an APP2 "MPF" index, then a second JPEG right after the primary's EOI.
 */
function multiPicture(primary, secondary) {
  // MP header: TIFF header, an IFD of 3 entries (version, image count, entry list), the 2 entries.
  const ifdEntry = (tagId, type, count, value) => Buffer.concat([u16(tagId), u16(type), u32(count), value]);
  const entriesOffset = 8 + 2 + 3 * 12 + 4;
  const mpfLength = 4 + entriesOffset + 2 * 16;
  const mpfSegmentLength = 4 + mpfLength;
  const at = afterAppSegments(primary);
  const primaryLength = primary.length + mpfSegmentLength;
  // Offsets count from the MP header's byte-order mark, which follows the marker, length and "MPF\0".
  const tiffStart = at + 4 + 4;
  const payload = Buffer.concat([
    Buffer.from("MPF\0"),
    Buffer.from("MM\0\x2a"),
    u32(8),
    u16(3),
    ifdEntry(0xb000, 7, 4, Buffer.from("0100")),
    ifdEntry(0xb001, 4, 1, u32(2)),
    ifdEntry(0xb002, 7, 32, u32(entriesOffset)),
    u32(0),
    Buffer.concat([u32(0x20030000), u32(primaryLength), u32(0), u16(0), u16(0)]),
    Buffer.concat([u32(0x00010001), u32(secondary.length), u32(primaryLength - tiffStart), u16(0), u16(0)]),
  ]);
  if (payload.length !== mpfLength) throw new Error("MPF layout");
  return Buffer.concat([insertAt(primary, at, segment(0xe2, payload)), secondary]);
}

// --- PNG and WebP chunks -------------------------------------------------------------------------
const pngChunk = (type, data) => {
  const body = Buffer.concat([Buffer.from(type), data]);
  return Buffer.concat([u32(data.length), body, u32(crc32(body))]);
};
/** `png` with `chunks` inserted before its first IDAT. */
const beforeIdat = (png, ...chunks) => insertAt(png, png.indexOf("IDAT") - 4, ...chunks);

function riffChunks(webp) {
  const chunks = [];
  for (let at = 12; at < webp.length; ) {
    const size = webp.readUInt32LE(at + 4);
    chunks.push({ fourcc: webp.toString("latin1", at, at + 4), data: webp.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size % 2);
  }
  return chunks;
}
const riffChunk = (fourcc, data) =>
  Buffer.concat([Buffer.from(fourcc), u32le(data.length), data, Buffer.alloc(data.length % 2)]);
const riff = (chunks) => {
  const body = Buffer.concat(chunks.map(({ fourcc, data }) => riffChunk(fourcc, data)));
  return Buffer.concat([Buffer.from("RIFF"), u32le(body.length + 4), Buffer.from("WEBP"), body]);
};

// EXIF (a TIFF structure with one ASCII ImageDescription) and XMP carrying findable secrets.
function exifTiff(text) {
  const value = Buffer.from(`${text}\0`);
  return Buffer.concat([
    Buffer.from("MM\0\x2a"),
    u32(8),
    u16(1),
    u16(0x010e),
    u16(2),
    u32(value.length),
    u32(26),
    u32(0),
    value,
  ]);
}
const xmp = (text) =>
  Buffer.from(
    `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
      `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:description="${text}"/></rdf:RDF></x:xmpmeta>`,
  );

export async function makeSharpFixtures(out) {
  const write = (name, bytes) => writeFileSync(`${out}${name}`, bytes);
  // Camera tags a phone writes: maker, GPS, and the Orientation of a portrait photo stored sideways.
  const cameraExif = {
    IFD0: { Make: "fixture-camera-make", Model: "fixture-phone-model" },
    IFD3: { GPSMapDatum: "fixture-gps-datum", GPSLatitudeRef: "N", GPSLongitudeRef: "E" },
  };

  // Phone photos: each a format or layout a current phone or editor really produces.
  const primary = await photo(1600, 1200, 7)
    .withExif(cameraExif)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 85 })
    .toBuffer();
  const preview = await photo(640, 480, 8).jpeg({ quality: 75 }).toBuffer();
  write("phone-multi-picture.jpg", multiPicture(primary, preview));
  write(
    "phone-progressive.jpg",
    await photo(1024, 768, 3).jpeg({ quality: 85, progressive: true }).toBuffer(),
  );
  write("phone-16bit.png", await photo(240, 180, 4).toColourspace("rgb16").png().toBuffer());
  write("phone-cmyk.jpg", await photo(400, 300, 5).toColourspace("cmyk").jpeg({ quality: 85 }).toBuffer());
  const frames = 3;
  const [frameWidth, frameHeight] = [240, 180];
  const animated = await sharp(photoPixels(frameWidth, frameHeight * frames, 6), {
    raw: { width: frameWidth, height: frameHeight * frames, channels: 3, pageHeight: frameHeight },
  })
    .webp({ quality: 80, loop: 0, delay: Array(frames).fill(200) })
    .toBuffer();
  write("phone-animated.webp", animated);

  // Crafted metadata: places a byte-level stripper misses. Each carries a "fixture-..." secret.
  const plainJpeg = await photo(320, 240, 9).jpeg({ quality: 80 }).toBuffer();
  const plainPng = await photo(160, 120, 10).png().toBuffer();
  const plainWebp = await photo(320, 240, 11).webp({ quality: 80 }).toBuffer();

  // EXIF and XMP chunks nested inside the first ANMF frame, where a top-level chunk filter never looks.
  const withNested = riffChunks(animated).map((chunk, index, all) =>
    chunk.fourcc === "ANMF" && all.findIndex((c) => c.fourcc === "ANMF") === index
      ? {
          fourcc: "ANMF",
          // After the frame's bitstream, where the format allows unknown chunks.
          data: Buffer.concat([
            chunk.data,
            riffChunk("EXIF", exifTiff("fixture-anmf-exif")),
            riffChunk("XMP ", xmp("fixture-anmf-xmp")),
          ]),
        }
      : chunk,
  );
  write("crafted-webp-anmf-metadata.webp", riff(withNested));

  // A VP8X chunk longer than its 10 bytes, the extra bytes holding text.
  const vp8x = Buffer.concat([Buffer.from([0, 0, 0, 0]), u24le(320 - 1), u24le(240 - 1)]);
  write(
    "crafted-webp-oversized-vp8x.webp",
    riff([
      { fourcc: "VP8X", data: Buffer.concat([vp8x, Buffer.from("fixture-vp8x-secret")]) },
      ...riffChunks(plainWebp),
    ]),
  );

  // JPGn segments (markers F0..FD, reserved for JPEG extensions) carrying text.
  const jpgn = (marker) => segment(marker, Buffer.from(`fixture-jpgn-${marker.toString(16)}`));
  write("crafted-jpeg-jpgn.jpg", withSegments(plainJpeg, jpgn(0xf0), jpgn(0xfd)));

  // An ICC profile whose description is the secret.
  const icc = Buffer.concat([
    Buffer.from("ICC_PROFILE\0"),
    Buffer.from([1, 1]),
    iccProfile("fixture-icc-secret"),
  ]);
  write("crafted-jpeg-icc.jpg", withSegments(plainJpeg, segment(0xe2, icc)));

  // A JFIF APP0 with an 8x1 RGB thumbnail whose "pixels" are text, in place of the plain APP0.
  const thumbnail = Buffer.from("fixture-jfif-thumbnail!!");
  const jfif = Buffer.concat([Buffer.from("JFIF\0"), Buffer.from([1, 2, 0, 0, 1, 0, 1, 8, 1]), thumbnail]);
  const noApp0 =
    plainJpeg[3] === 0xe0
      ? Buffer.concat([plainJpeg.subarray(0, 2), plainJpeg.subarray(4 + plainJpeg.readUInt16BE(4))])
      : plainJpeg;
  write("crafted-jpeg-jfif-thumbnail.jpg", insertAt(noApp0, 2, segment(0xe0, jfif)));

  // HTML inside the entropy-coded scan data, just before EOI: a polyglot a browser could sniff.
  const html = Buffer.from("<html><script>alert('fixture-scan-html')</script></html>");
  write("crafted-jpeg-scan-html.jpg", insertAt(plainJpeg, plainJpeg.length - 2, html));

  // PNG: an sPLT (suggested palette) whose name is text, and an unknown critical chunk.
  const splt = Buffer.concat([Buffer.from("fixture-splt-name\0"), Buffer.from([8, 255, 0, 0, 255, 0, 1])]);
  write("crafted-png-splt.png", beforeIdat(plainPng, pngChunk("sPLT", splt)));
  write(
    "crafted-png-critical-chunk.png",
    beforeIdat(plainPng, pngChunk("SCRt", Buffer.from("fixture-png-critical"))),
  );

  // Headers with no pixels: a JPEG cut before its first scan (SOI, tables, SOF, EOI) and a PNG whose
  // only IDAT is empty. The header check must refuse both before anything decodes.
  const firstScan = plainJpeg.indexOf(Buffer.from([0xff, 0xda]));
  write(
    "reject-headers-only.jpg",
    Buffer.concat([plainJpeg.subarray(0, firstScan), Buffer.from([0xff, 0xd9])]),
  );
  const ihdr = plainPng.subarray(8, 8 + 25);
  const empty = Buffer.alloc(0);
  write(
    "reject-empty-idat.png",
    Buffer.concat([plainPng.subarray(0, 8), ihdr, pngChunk("IDAT", empty), pngChunk("IEND", empty)]),
  );
}
