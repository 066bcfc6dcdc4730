// Bundled in place of "zod" (wrangler.toml [alias]); see external.js.
//
// `z`, the whole API as one value, is what the bundler cannot shake: used as a value, every export
// of external.js stays in the bundle, used or not. Only @hono/zod-openapi takes it, to give
// `ZodType` its `.openapi()`, so that is all it holds. Our code imports zod as
// `import * as z from "zod"` (biome.json refuses `import { z }` and the default import): each
// `z.string()` then names one export, and the schemas nobody builds are left out (about 13 KiB
// gzip; BENCHMARKS.md).
import { ZodType } from "./external.js";

export * from "./external.js";

const z = { ZodType };

export { z, z as default };
