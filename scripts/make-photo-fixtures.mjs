// Rebuilds the profile-photo fixtures in test/fixtures/. The binaries are committed, so tests never
// need this script or its tools; it documents how they were made and lets them be remade.
//
// Needs (Debian): apt-get install imagemagick libimage-exiftool-perl webp libjpeg-turbo-progs
// Run from the repo root: npx node scripts/make-photo-fixtures.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";

const out = new URL("../test/fixtures/", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "photo-fixtures-"));
const run = (cmd, ...args) => execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
// Keeps ImageMagick from adding date chunks, so a rerun gives the same bytes.
const noDates = ["-define", "png:exclude-chunks=date,time"];
const gradient = (size) => ["-size", size, "gradient:#3a7bd5-#f4d03f", "-depth", "8"];

// A made-up minimal ICC v2 RGB profile (rather than a vendor's copyrighted one). Its description,
// "fixture-icc-profile", is stored uncompressed in JPEG APP2 and WebP ICCP, so tests can find it.
function iccProfile(description) {
  const s15 = (x) => Math.round(x * 65536);
  const xyz = (x, y, z) => tag("XYZ ", [s15(x), s15(y), s15(z)].map(u32));
  const tag = (type, parts) => Buffer.concat([Buffer.from(type), Buffer.alloc(4), ...parts]);
  const u32 = (n) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
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

const icc = join(tmp, "fixture.icc");
writeFileSync(icc, iccProfile("fixture-icc-profile"));

// The metadata a phone might leave in a photo: GPS in EXIF (GPSMapDatum is a findable string),
// GPS and a "secret" description in XMP, and the ICC profile that must survive stripping.
const gps = [
  "-GPSLatitude=48.858370",
  "-GPSLatitudeRef=N",
  "-GPSLongitude=2.294481",
  "-GPSLongitudeRef=E",
  "-GPSMapDatum=fixture-gps-datum",
];
const metadata = [
  ...gps,
  "-XMP-dc:Description=fixture-secret-location",
  "-XMP-exif:GPSLatitude=48.858370 N",
  `-ICC_Profile<=${icc}`,
];
const exiftool = (file, ...args) => run("exiftool", "-q", "-overwrite_original", ...metadata, ...args, file);

const source = join(tmp, "source.png");
run("convert", ...gradient("64x48"), "-strip", ...noDates, source);

// JPEG: APP0 JFIF, APP1 EXIF, APP1 XMP, APP2 ICC_PROFILE and a COM comment.
run("convert", source, "-quality", "80", `${out}photo-gps.jpg`);
exiftool(`${out}photo-gps.jpg`, "-Comment=fixture-jpeg-comment");

// JPEG as a phone stores a portrait photo: pixels sideways and EXIF Orientation 6 ("Rotate 90 CW"),
// next to GPS and camera tags. Stripping must keep the Orientation and nothing else of the EXIF.
run("convert", source, "-quality", "80", `${out}photo-rotated-gps.jpg`);
run(
  "exiftool",
  "-q",
  "-overwrite_original",
  "-Orientation#=6",
  "-Make=fixture-camera-make",
  ...gps,
  `${out}photo-rotated-gps.jpg`,
);

// PNG: iCCP and pHYs (kept), eXIf, iTXt XMP, tEXt, zTXt and tIME (removed).
run("convert", source, "-units", "PixelsPerInch", "-density", "72", ...noDates, `${out}photo-gps.png`);
exiftool(`${out}photo-gps.png`, "-PNG:Comment=fixture-png-text", "-PNG:ModifyDate=2024:01:02 03:04:05");
run(
  "exiftool",
  "-q",
  "-overwrite_original",
  "-z",
  `-PNG:Title=${"fixture-png-ztxt ".repeat(8)}`,
  `${out}photo-gps.png`,
);

// WebP: VP8X with ICCP, EXIF and "XMP " chunks around a lossy VP8 frame.
run("cwebp", "-quiet", "-q", "70", source, "-o", `${out}photo-gps.webp`);
exiftool(`${out}photo-gps.webp`);

// Clean images that exercise the other header layouts, each with its own size. The progressive JPEG
// has a restart marker after every MCU row: several scans, with RSTn inside them.
run("convert", ...gradient("40x56"), "-strip", "-quality", "70", join(tmp, "40x56.jpg"));
run(
  "jpegtran",
  "-progressive",
  "-restart",
  "1",
  "-outfile",
  `${out}photo-progressive.jpg`,
  join(tmp, "40x56.jpg"),
);
run("convert", ...gradient("40x56"), "-strip", ...noDates, join(tmp, "40x56.png"));
run("cwebp", "-quiet", "-q", "70", join(tmp, "40x56.png"), "-o", `${out}photo-lossy.webp`);
run("convert", ...gradient("48x40"), "-strip", ...noDates, join(tmp, "48x40.png"));
run("cwebp", "-quiet", "-lossless", join(tmp, "48x40.png"), "-o", `${out}photo-lossless.webp`);

// Files the API must refuse.
run("convert", "-size", "8x8", "xc:red", `${out}reject-not-photo.gif`);
writeFileSync(
  `${out}reject-not-photo.svg`,
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><title>Not a photo</title><rect width="64" height="48" fill="red"/>' +
    "<script>alert(document.cookie)</script></svg>\n",
);
run("convert", ...gradient("16x16"), "-strip", ...noDates, `${out}reject-too-small.png`);

// A pixel flood: the 16x16 PNG with its IHDR claiming 20000x20000 (and the CRC fixed to match),
// so only the header check can refuse it; decoding it to RGBA would take 1.6 GB.
const flood = readFileSync(`${out}reject-too-small.png`);
flood.writeUInt32BE(20000, 16);
flood.writeUInt32BE(20000, 20);
flood.writeUInt32BE(crc32(flood.subarray(12, 29)), 29);
writeFileSync(`${out}reject-pixel-flood.png`, flood);

// A polyglot: a valid JPEG with an HTML page appended after its EOI marker.
const page = "<html><body><script>alert(document.cookie)</script></body></html>\n";
writeFileSync(
  `${out}reject-polyglot.jpg`,
  Buffer.concat([readFileSync(`${out}photo-progressive.jpg`), Buffer.from(page)]),
);

rmSync(tmp, { recursive: true });
