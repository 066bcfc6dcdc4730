// Proves the exported OpenAPI document makes a usable typed client: generates TypeScript types from
// .openapi/openapi.json (run scripts/export-openapi.mjs first) into .openapi/schema.d.ts, copies the
// program of README.md's "Use it from TypeScript" section to .openapi/readme-client.ts, then
// type-checks it and scripts/typed-client-example.ts (openapi-fetch, no casts) with tsc. Offline;
// run by `npm run lint:api`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOCUMENT = join(ROOT, ".openapi", "openapi.json");
const TYPES = join(ROOT, ".openapi", "schema.d.ts");
const README_CLIENT = join(ROOT, ".openapi", "readme-client.ts");
const TSCONFIG = join(ROOT, "scripts", "tsconfig.typed-client.json");
const README_SECTION = "## Use it from TypeScript";

if (!existsSync(DOCUMENT)) {
  process.stderr.write(`${DOCUMENT} is missing: run scripts/export-openapi.mjs first\n`);
  process.exit(1);
}

// openapi-typescript types binary content (OAS 3.1's `contentMediaType`) as string unless told
// otherwise; this transform, the one its documentation gives for files, is the one the README shows.
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(pathToFileURL(DOCUMENT), {
  silent: true,
  transform: (schema) => (schema.contentMediaType ? BLOB : undefined),
});
writeFileSync(TYPES, astToString(ast));
process.stderr.write(`Wrote ${TYPES}\n`);

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const section = readme.slice(readme.indexOf(README_SECTION));
const program = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
if (readme.indexOf(README_SECTION) < 0 || !program) {
  process.stderr.write(`README.md has no \`\`\`ts block under "${README_SECTION}"\n`);
  process.exit(1);
}
writeFileSync(README_CLIENT, program);
process.stderr.write(`Wrote ${README_CLIENT} (from README.md)\n`);

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", TSCONFIG], {
  cwd: ROOT,
  stdio: "inherit",
});
if (result.status !== 0) {
  process.stderr.write(
    "Typed client check failed: README.md's program or scripts/typed-client-example.ts does not type-check\n",
  );
  process.exit(result.status ?? 1);
}
process.stderr.write(
  "Typed client check passed: README.md's program and scripts/typed-client-example.ts type-check\n",
);
