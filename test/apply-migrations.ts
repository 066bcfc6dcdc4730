import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardBindings } from "../src/lib/shards";

// Runs before each test file; applying is idempotent, and storage is per file.
for (const shard of shardBindings(env)) await applyD1Migrations(shard, env.TEST_MIGRATIONS);
