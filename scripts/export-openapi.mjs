// Writes the OpenAPI document the Worker serves at GET /openapi.json to .openapi/openapi.json,
// without a server or workerd: src/app.ts is bundled for Node with wrangler's own esbuild, and the
// app answers one in-process request. Offline; used by `npm run lint:api`.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(ROOT, ".openapi");
const OUT_FILE = join(OUT_DIR, "openapi.json");

// The esbuild that wrangler pins, wherever npm placed it, and the module aliases of wrangler.toml
// (zod without its locales), so the document comes from the same modules as the deployed Worker.
const require = createRequire(import.meta.url);
const wranglerDir = dirname(require.resolve("wrangler/package.json"));
const esbuild = require(require.resolve("esbuild", { paths: [wranglerDir] }));
const { unstable_readConfig } = await import("wrangler");
const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });
const alias = Object.fromEntries(
  Object.entries(config.alias ?? {}).map(([name, target]) => [
    name,
    target.startsWith(".") ? join(ROOT, target) : target,
  ]),
);

// Building the document needs no Workers API; `cloudflare:*` modules get an inert stand-in.
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

mkdirSync(OUT_DIR, { recursive: true });
const bundle = join(OUT_DIR, `app.${process.pid}.mjs`);
try {
  await esbuild.build({
    entryPoints: [join(ROOT, "src", "app.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
    alias,
    plugins: [workersStub],
  });
  const { createApp } = await import(pathToFileURL(bundle).href);

  // The request's log line would otherwise land on stdout.
  const consoleLog = console.log;
  console.log = () => {};
  let response;
  try {
    // wrangler.toml's [vars]: the document's Production server is PUBLIC_API_BASE_URL.
    response = await createApp().request("http://localhost/openapi.json", {}, config.vars);
  } finally {
    console.log = consoleLog;
  }
  if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
  const document = await response.json();
  writeFileSync(OUT_FILE, `${JSON.stringify(document, null, 2)}\n`);
  const operations = Object.values(document.paths ?? {}).reduce(
    (count, item) => count + Object.keys(item).length,
    0,
  );
  process.stderr.write(`Wrote ${OUT_FILE} (OpenAPI ${document.openapi}, ${operations} operations)\n`);
} finally {
  rmSync(bundle, { force: true });
}
