import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

// wrangler reads wrangler.toml (and .dev.vars, once `npm run dev` made it) for every test file and
// says so each time; its warnings and errors still show.
process.env.WRANGLER_LOG ??= "warn";

export default defineConfig(async () => {
  // The same folder drizzle-kit writes and wrangler applies.
  const migrations = await readD1Migrations("./migrations");
  const directoryMigrations = await readD1Migrations("./migrations-directory");
  const { ratelimits } = unstable_readConfig({ config: "./wrangler.toml" });
  return {
    // The same zod as the deployed bundle (wrangler.toml [alias]): without its message locales.
    resolve: {
      alias: [
        {
          find: /^zod(\/v4)?$/,
          replacement: fileURLToPath(new URL("./build/zod$1", import.meta.url)),
        },
      ],
    },
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The suite makes many requests per user and per IP: the real limits would turn them
          // into 429s. Rate-limit tests swap in the tight TEST_* limiters instead.
          ratelimits: {
            // Every limiter wrangler.toml declares (their one place), with room for the suite.
            ...Object.fromEntries(
              ratelimits.map(({ name, namespace_id, simple }) => [
                name,
                { namespace_id, simple: { ...simple, limit: 100_000 } },
              ]),
            ),
            TEST_TIGHT_LIMITER: { namespace_id: "9001", simple: { limit: 2, period: 60 } },
          },
          // Four shards, as the suite's layout: USERS_0 and USERS_1 from wrangler.toml, two more.
          d1Databases: { USERS_2: "test-users-2", USERS_3: "test-users-3" },
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_DIRECTORY_MIGRATIONS: directoryMigrations,
            EMAIL_HASH_SECRET: "test-email-hash-secret-0123456789abcdef0123",
            JWT_SECRET: "test-secret-0123456789abcdef0123456789abcdef",
            // Data export download links.
            EXPORT_SIGNING_SECRET: "test-export-secret-0123456789abcdef0123456789",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/apply-migrations.ts"],
      include: ["test/**/*.test.ts"],
      // A passing run prints its summary only: the Worker's log lines (one per request) are shown
      // for the tests that fail, where they help, and dropped for the ones that pass.
      silent: "passed-only",
      // One line per file, then the summary; the JSON report feeds the plain summary line at the end
      // of .ci/run.
      reporters: [["default", { summary: false }], "json"],
      outputFile: { json: "test-results.json" },
    },
  };
});
