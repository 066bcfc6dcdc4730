// "zod/v4", the same zod without its locales (see ../external.js). drizzle-zod imports it (the
// tests' reference for the user object's columns; nothing in the bundle does) and calls the whole
// API through `z`, so here `z` is all of it.
import * as z from "../external.js";

export * from "../external.js";
export { z, z as default };
