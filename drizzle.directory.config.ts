import { defineConfig } from "drizzle-kit";

// The directory's own history (binding DIRECTORY): wrangler applies it, the tests read it.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/directory-schema.ts",
  out: "./migrations-directory",
});
