// Rebuilds the profile-photo fixtures in test/fixtures/. The binaries are committed, so tests never
// need this script or its tools; it documents how they were made and lets them be remade.
//
// The phone-photo and crafted-metadata fixtures are made with sharp (a devDependency) and byte
// surgery (scripts/photo-fixtures-sharp.mjs). The older GPS fixtures also need (Debian):
// apt-get install imagemagick libimage-exiftool-perl webp libjpeg-turbo-progs
// Run from the repo root: npx node scripts/make-photo-fixtures.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { iccProfile, makeSharpFixtures } from "./photo-fixtures-sharp.mjs";

const out = new URL("../test/fixtures/", import.meta.url).pathname;
await makeSharpFixtures(out);
const tmp = mkdtempSync(join(tmpdir(), "photo-fixtures-"));
const run = (cmd, ...args) => execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
// Keeps ImageMagick from adding date chunks, so a rerun gives the same bytes.
const noDates = ["-define", "png:exclude-chunks=date,time"];
const gradient = (size) => ["-size", size, "gradient:#3a7bd5-#f4d03f", "-depth", "8"];

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
