// Copies Swagger UI's browser files from the swagger-ui-dist package into the Worker's Static
// Assets (public/docs-assets/swagger-ui-dist), so /docs needs no CDN. Runs on `npm install`.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const source = dirname(require.resolve("swagger-ui-dist/package.json"));
const target = new URL("../public/docs-assets/swagger-ui-dist/", import.meta.url).pathname;
mkdirSync(target, { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js"])
  copyFileSync(join(source, file), join(target, file));
