// Proves the exported OpenAPI document makes a usable typed client: generates TypeScript types from
// .openapi/openapi.json (run scripts/export-openapi.mjs first) into .openapi/schema.d.ts, then
// type-checks scripts/typed-client-example.ts against them with tsc. Offline; run by `npm run lint:api`.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOCUMENT = join(ROOT, ".openapi", "openapi.json");
const TYPES = join(ROOT, ".openapi", "schema.d.ts");
const TSCONFIG = join(ROOT, "scripts", "tsconfig.typed-client.json");

if (!existsSync(DOCUMENT)) {
  process.stderr.write(`${DOCUMENT} is missing: run scripts/export-openapi.mjs first\n`);
  process.exit(1);
}

const ast = await openapiTS(pathToFileURL(DOCUMENT), { silent: true });
writeFileSync(TYPES, astToString(ast));
process.stderr.write(`Wrote ${TYPES}\n`);

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", TSCONFIG], {
  cwd: ROOT,
  stdio: "inherit",
});
if (result.status !== 0) {
  process.stderr.write("Typed client check failed: scripts/typed-client-example.ts does not type-check\n");
  process.exit(result.status ?? 1);
}
process.stderr.write("Typed client check passed: scripts/typed-client-example.ts type-checks\n");
