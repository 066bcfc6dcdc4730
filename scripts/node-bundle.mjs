// Bundles part of src/ for Node with wrangler's own esbuild and wrangler.toml's module aliases (zod
// without its locales), so build-time scripts run the same modules as the deployed Worker, without
// workerd. Used by export-openapi.mjs and route-table.mjs.
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

// The esbuild that wrangler pins, wherever npm placed it.
const require = createRequire(import.meta.url);
const wranglerDir = dirname(require.resolve("wrangler/package.json"));
const esbuild = require(require.resolve("esbuild", { paths: [wranglerDir] }));
const { unstable_readConfig } = await import("wrangler");
export const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });
const alias = Object.fromEntries(
  Object.entries(config.alias ?? {}).map(([name, target]) => [
    name,
    target.startsWith(".") ? join(ROOT, target) : target,
  ]),
);

// What these scripts run needs no Workers API; `cloudflare:*` modules get an inert stand-in.
const workersStub = {
  name: "cloudflare-stub",
  setup(build) {
    build.onResolve({ filter: /^cloudflare:/ }, (args) => ({
      path: args.path,
      namespace: "cloudflare-stub",
    }));
    build.onLoad({ filter: /.*/, namespace: "cloudflare-stub" }, () => ({
      contents:
        "export const env = {};\nexport class DurableObject {}\nexport class WorkerEntrypoint {}\n" +
        "export class WorkflowEntrypoint {}\nexport class RpcTarget {}\n",
      loader: "js",
    }));
  },
};

/** Bundles `source` (TypeScript, resolved from the project root) for Node and imports it. */
export async function importForNode(source) {
  const dir = join(ROOT, ".openapi");
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, `bundle.${process.pid}.mjs`);
  try {
    await esbuild.build({
      stdin: { contents: source, resolveDir: ROOT, loader: "ts", sourcefile: "entry.ts" },
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      logLevel: "warning",
      alias,
      plugins: [workersStub],
    });
    return await import(pathToFileURL(bundle).href);
  } finally {
    rmSync(bundle, { force: true });
  }
}
