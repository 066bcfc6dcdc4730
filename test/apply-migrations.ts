import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardBindings } from "../src/lib/shards";

// Runs before each test file; applying is idempotent, and storage is per file.
await applyD1Migrations(env.DIRECTORY, env.TEST_DIRECTORY_MIGRATIONS);
for (const shard of shardBindings(env)) await applyD1Migrations(shard, env.TEST_MIGRATIONS);
