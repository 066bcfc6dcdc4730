// Startup CPU ("Active" in `wrangler check startup`) of the deployable bundle, and where it goes:
// the startup profiles of an unminified build, self time summed per bundled module (esbuild marks
// where each module starts with a `// path` comment) and per function. `npm run bench` measures
// startup; `npm run bench:startup` measures it and prints the profile.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OUT, wrangler } from "./bench-worker.mjs";

const RUNS = 5;

/** Runs `wrangler check startup` on a prebuilt bundle; the Active figures and the profiles. */
function checkStartup(bundle, runs) {
  const active = [];
  const profiles = [];
  for (let i = 0; i < runs; i += 1) {
    const outfile = join(OUT, `startup-${i}.cpuprofile`);
    const output = wrangler(["check", "startup", "--worker", bundle, "--outfile", outfile]);
    active.push(Number(/Active: ([\d.]+) ms/.exec(output)?.[1]));
    profiles.push(JSON.parse(readFileSync(outfile, "utf8")));
  }
  return { active, profiles };
}

/** For each line of an unminified esbuild bundle, the module it came from. */
function moduleOfLine(source) {
  let current = "(bundle)";
  return source.split("\n").map((line) => {
    const marker = /^\/\/ ((?:node_modules|src|build)\/\S+)$/.exec(line);
    if (marker) current = marker[1];
    return current;
  });
}

/** A module path shortened to what it belongs to: a package, or a file of ours. */
function owner(path) {
  const dependency = /^node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (!dependency) return path;
  // zod's own layers are worth telling apart (core checks, classic API, locales).
  if (dependency[1] === "zod") return `zod/${dependency[2].split("/").slice(0, 2).join("/")}`;
  return dependency[1];
}

/** Self time (µs) per module owner and per function, summed over profiles; idle excluded. */
export function selfTimes(profiles, modules) {
  const byOwner = new Map();
  const byFunction = new Map();
  const add = (map, key, micros) => map.set(key, (map.get(key) ?? 0) + micros);
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const frame = nodes.get(id).callFrame;
      if (frame.functionName === "(idle)") return;
      // A sample's time is the gap to the next sample.
      const micros = profile.timeDeltas[index + 1] ?? 0;
      const module =
        frame.lineNumber >= 0 ? (modules[frame.lineNumber] ?? "(bundle)") : frame.functionName || "(compile)";
      add(byOwner, owner(module), micros);
      add(byFunction, `${frame.functionName || "(top level)"} ${module}:${frame.lineNumber + 1}`, micros);
    });
  }
  const top = (map, count) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => ({ name, ms: Number((micros / 1000 / profiles.length).toFixed(1)) }));
  return { byOwner: top(byOwner, 12), byFunction: top(byFunction, 12) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `wrangler check startup` of `deployBundle` (what `wrangler deploy` uploads) RUNS times. */
export function measureStartup(deployBundle) {
  const { active } = checkStartup(deployBundle, RUNS);
  return { median: median(active), min: Math.min(...active), runs: active };
}

/** Where startup goes: the profiles of an unminified build of the same Worker. */
export function profileStartup() {
  const profiled = join(OUT, "startup-unminified");
  const bundle = join(OUT, "startup-unminified.bundle");
  wrangler(["deploy", "--dry-run", "--minify=false", "--outdir", profiled, "--outfile", bundle]);
  const modules = moduleOfLine(readFileSync(join(profiled, "index.js"), "utf8"));
  const { active, profiles } = checkStartup(bundle, RUNS);
  return { activeMs: median(active), selfTimePerRun: selfTimes(profiles, modules) };
}

function printProfile({ activeMs, selfTimePerRun }) {
  console.log(`startup profile (unminified build, ${activeMs} ms Active), self ms per run by module:`);
  for (const { name, ms } of selfTimePerRun.byOwner) console.log(`  ${String(ms).padStart(5)}  ${name}`);
  console.log("  by function:");
  for (const { name, ms } of selfTimePerRun.byFunction) console.log(`  ${String(ms).padStart(5)}  ${name}`);
}

/** Startup of several bundles, run after run in turn, so a busy machine weighs on all alike. */
function compareStartup(bundles, rounds) {
  const active = bundles.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, bundle] of bundles.entries()) active[index].push(...checkStartup(bundle, 1).active);
  }
  return bundles.map((bundle, index) => ({
    bundle,
    median: median(active[index]),
    min: Math.min(...active[index]),
    runs: active[index],
  }));
}

// `npm run bench:startup [-- other.bundle …]`: this Worker's startup and its profile; other
// bundles (`wrangler deploy --dry-run --outfile x.bundle` of another version) are measured in turn.
if (import.meta.url === `file://${process.argv[1]}`) {
  const bundle = join(OUT, "worker.bundle");
  wrangler(["deploy", "--dry-run", "--outdir", join(OUT, "worker"), "--outfile", bundle]);
  const others = process.argv.slice(2);
  for (const result of compareStartup([bundle, ...others], others.length ? 3 * RUNS : RUNS)) {
    console.log(
      `startup of ${result.bundle}: ${result.median} ms Active median, ${result.min} min, runs ${result.runs.join(", ")}`,
    );
  }
  printProfile(profileStartup());
}
