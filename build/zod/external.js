// zod's public API (node_modules/zod/v4/classic/external.js) minus what the service never calls:
// `locales`, the 60-odd message locales (clients get our own messages, src/lib/validation.ts;
// zod's default en still builds the issue messages nobody shows), and the JSON Schema converters
// and schema compiler (`toJSONSchema`, `fromJSONSchema`, `compile`). Left out here, they stay out
// even if something takes this module's namespace as a value; build/zod/index.js keeps that from
// happening, so the bundle holds only the exports our code names. Keep in step with zod's file
// when upgrading zod; the tests run against this file too (vitest.config.ts), and BENCHMARKS.md
// has the bundle size it buys.

export * from "../../node_modules/zod/v4/classic/checks.js";
export * as coerce from "../../node_modules/zod/v4/classic/coerce.js";
export * from "../../node_modules/zod/v4/classic/compat.js";
export { deepPartial } from "../../node_modules/zod/v4/classic/deep-partial.js";
export * from "../../node_modules/zod/v4/classic/errors.js";
export { input, output } from "../../node_modules/zod/v4/classic/in-out.js";
export * as iso from "../../node_modules/zod/v4/classic/iso.js";
export {
  ZodISODate,
  ZodISODateTime,
  ZodISODuration,
  ZodISOTime,
} from "../../node_modules/zod/v4/classic/iso.js";
export * from "../../node_modules/zod/v4/classic/parse.js";
export * from "../../node_modules/zod/v4/classic/schemas.js";
export {
  $brand,
  $input,
  $output,
  clone,
  config,
  flattenError,
  formatError,
  getDiscriminatedOption,
  globalRegistry,
  INVALID,
  memoizer,
  NEVER,
  prettifyError,
  regexes,
  registry,
  TimePrecision,
  toZod,
  treeifyError,
  util,
} from "../../node_modules/zod/v4/core/index.js";
export * as core from "./core.js";
