// Writes the OpenAPI document the Worker serves at GET /openapi.json to .openapi/openapi.json (or
// the path given), without a server or workerd: src/app.ts is bundled for Node with wrangler's own
// esbuild, and the app answers one in-process request. Offline; used by `npm run lint:api`, and by
// `npm run openapi:snapshot` for test/fixtures/openapi.json, which test/openapi-document.test.ts
// compares with what the Worker serves.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { config, importForNode, ROOT } from "./node-bundle.mjs";

const OUT_FILE = process.argv[2] ? resolve(process.argv[2]) : join(ROOT, ".openapi", "openapi.json");

mkdirSync(dirname(OUT_FILE), { recursive: true });
const { createApp } = await importForNode('export { createApp } from "./src/app";');

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
