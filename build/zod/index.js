// Bundled in place of "zod" (wrangler.toml [alias]); see external.js.
import * as z from "./external.js";

export * from "./external.js";
export { z, z as default };
