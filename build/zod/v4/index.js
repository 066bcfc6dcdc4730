// drizzle-zod imports "zod/v4": the same zod without its locales (see ../external.js).
export * from "../index.js";
export { default, z } from "../index.js";
