import type { Db } from "../db/client";
import { settings } from "../lib/settings";
import { type CleanupStep, drainChunk } from "../users/erasure-chunks";
import { sendJobs } from "./messages";

export type DrainBudget = { chunks: number; ms: number };

/** What one queue message may spend: each chunk is its own short transaction. */
export const MESSAGE_DRAIN_BUDGET: DrainBudget = { chunks: 50, ms: 10_000 };

/**
 * Removes a finalized account's remaining rows chunk by chunk, from `from` on, within `budget`;
 * what is left goes back to the queue as the next message. Each chunk is one D1 batch of at most
 * FINALIZE_CHUNK_ROWS rows written, so other writes get the database between chunks.
 */
export async function drainAccount(
  env: Env,
  db: Db,
  userId: string,
  from: CleanupStep,
  budget: DrainBudget,
): Promise<{ done: boolean; chunks: number }> {
  const chunkRows = settings(env).FINALIZE_CHUNK_ROWS;
  const startedAt = Date.now();
  let step: CleanupStep | "done" = from;
  let chunks = 0;
  while (chunks < budget.chunks && Date.now() - startedAt < budget.ms) {
    step = await drainChunk(db, userId, step, chunkRows, new Date());
    chunks += 1;
    if (step === "done") return { done: true, chunks };
  }
  await sendJobs(env, [{ kind: "drain-account", userId, step }]);
  return { done: false, chunks };
}
