// `npm run bench:photo`: the profile-photo upload before and after the Images binding, in one run.
// Builds this tree's Worker and the one at BENCH_BASE (default: where this branch left main) as
// `wrangler deploy` would, runs both in workerd through Miniflare with local D1/R2 and the Images
// binding (sharp), and alternates uploads between them so machine load hits both alike. Also
// reads back what a client downloads per size. Prints a table and writes bench/photo-results.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OUT, ROOT, startBuiltWorker, tokenFor, wrangler } from "./bench-worker.mjs";

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 15);
const git = (...args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
const base = process.env.BENCH_BASE ?? git("merge-base", "HEAD", "main");

const FIXTURES = [
  ["multi-picture JPEG, 1600x1200", "phone-multi-picture.jpg", "image/jpeg"],
  ["progressive JPEG, 1024x768", "phone-progressive.jpg", "image/jpeg"],
  ["GPS JPEG, 64x48", "photo-gps.jpg", "image/jpeg"],
].map(([name, file, type]) => ({ name, type, bytes: readFileSync(join(ROOT, "test/fixtures", file)) }));

/** This tree's Worker, or the one at `commit` (extracted under bench/out). */
function build(commit) {
  const dir = join(OUT, commit ? "photo-base" : "photo-head");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const args = ["deploy", "--dry-run", "--outdir", join(dir, "dist")];
  if (commit) {
    execFileSync("sh", ["-c", `git archive ${commit} src build public wrangler.toml | tar -x -C ${dir}`], {
      cwd: ROOT,
    });
    // The zod shim (build/zod) imports zod by a path relative to the project root.
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    args.push("--config", join(dir, "wrangler.toml"));
  }
  wrangler(args);
  return join(dir, "dist/index.js");
}

async function start(scriptPath, userId) {
  const worker = await startBuiltWorker(scriptPath);
  await worker.addUsers([{ id: userId, username: "uploader" }]);
  return { ...worker, token: await tokenFor(userId) };
}

async function upload(worker, fixture) {
  const form = new FormData();
  form.append("file", new File([fixture.bytes], "photo", { type: fixture.type }));
  const started = performance.now();
  const response = await fetch(`${worker.url}/api/v1/users/profile/photo`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${worker.token}` },
    body: form,
  });
  const body = await response.json();
  return { ms: performance.now() - started, status: response.status, photo: body.data?.profilePhoto };
}

const bytesAt = async (url) => (await (await fetch(url)).arrayBuffer()).byteLength;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (ms) => Math.round(ms * 10) / 10;

console.log(`building this tree and ${base.slice(0, 10)}...`);
const [before, after] = await Promise.all([
  start(build(base), "dd0000000000000000000001"),
  start(build(null), "dd0000000000000000000002"),
]);

const results = [];
for (const fixture of FIXTURES) {
  const timings = { before: [], after: [] };
  let last = {};
  for (let i = 0; i < UPLOADS + 1; i++) {
    const [old, now] = [await upload(before, fixture), await upload(after, fixture)];
    if (now.status !== 200) throw new Error(`${fixture.name}: this tree answered ${now.status}`);
    // The first round warms each isolate and sharp up; it is not counted.
    if (i === 0) continue;
    timings.before.push(old.ms);
    timings.after.push(now.ms);
    last = { old, now };
  }
  const variants = {};
  for (const [size, url] of Object.entries(last.now.photo.variants)) variants[size] = await bytesAt(url);
  // The old code refused multi-picture JPEGs (bytes after EOI): its time is a refusal's, not an upload's.
  const refused = last.old.status !== 200;
  results.push({
    fixture: fixture.name,
    uploadBytes: fixture.bytes.length,
    statusBefore: last.old.status,
    servedBytesBefore: refused ? null : await bytesAt(last.old.photo.url),
    servedBytesAfter: variants,
    p50MsBefore: round(median(timings.before)),
    p50MsAfter: round(median(timings.after)),
  });
}
await Promise.all([before.mf.dispose(), after.mf.dispose()]);

const line = (cells) => `| ${cells.join(" | ")} |`;
console.log(
  line(["fixture", "upload B", "served before B", "96 / 256 / 512 B", "p50 before ms", "p50 after ms"]),
);
for (const r of results) {
  const sizes = `${r.servedBytesAfter[96]} / ${r.servedBytesAfter[256]} / ${r.servedBytesAfter[512]}`;
  const before = r.statusBefore === 200 ? r.p50MsBefore : `${r.p50MsBefore} (refused: ${r.statusBefore})`;
  console.log(line([r.fixture, r.uploadBytes, r.servedBytesBefore ?? "-", sizes, before, r.p50MsAfter]));
}
mkdirSync(join(ROOT, "bench"), { recursive: true });
writeFileSync(
  join(ROOT, "bench/photo-results.json"),
  `${JSON.stringify({ base, uploads: UPLOADS, measuredAt: new Date().toISOString(), results }, null, 2)}\n`,
);
