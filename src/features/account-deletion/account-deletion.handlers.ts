import type { RouteHandler } from "@hono/zod-openapi";
import { publishAfterResponse } from "../../account-events/publish";
import { isEnabled } from "../../flags/flags";
import { sendJobs } from "../../jobs/messages";
import { afterResponseOf } from "../../lib/after-response";
import { confirmAccount } from "../../lib/auth";
import { success } from "../../lib/envelope";
import { ApiError } from "../../lib/errors";
import { revalidatedJson } from "../../lib/http-cache";
import { errorFields, log } from "../../lib/log";
import { settings } from "../../lib/settings";
import { accountStateError } from "../../users/account-state";
import { otherShardsOf } from "../../users/follows";
import type {
  cancelDeletionRoute,
  finalizeNowRoute,
  getDeletionRoute,
  requestDeletionRoute,
} from "./account-deletion.routes";
import { cancelDeletion, requestDeletion } from "./account-deletion.service";
import { deleteAccountMedia, finalizeAccount, startDrain } from "./finalize";
import { erasureReceipt } from "./receipt";

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const requestDeletionHandler: RouteHandler<typeof requestDeletionRoute> = async (c) => {
  const { reason } = c.req.valid("json");
  const graceDays = settings(c.env).ACCOUNT_DELETION_GRACE_DAYS;
  const row = await requestDeletion(
    c.get("db"),
    c.get("account"),
    reason || null,
    graceDays,
    c.get("client"),
  );
  publishAfterResponse(c, row.id);
  return c.json(
    success({
      userId: row.id,
      status: "pending" as const,
      requestedAt: iso(row.accountDeletionRequestedAt) ?? "",
      scheduledFor: iso(row.accountDeletionScheduledFor) ?? "",
    }),
    200,
  );
};

export const getDeletionHandler: RouteHandler<typeof getDeletionRoute> = (c) => {
  const user = c.get("user");
  return revalidatedJson(c, {
    userId: user.id,
    status: user.accountDeletionStatus,
    requestedAt: iso(user.accountDeletionRequestedAt),
    scheduledFor: iso(user.accountDeletionScheduledFor),
    cancelledAt: iso(user.accountDeletionCancelledAt),
    canCancel: user.accountDeletionStatus === "pending",
  });
};

export const cancelDeletionHandler: RouteHandler<typeof cancelDeletionRoute> = async (c) => {
  const row = await cancelDeletion(c.get("db"), c.get("account"), c.get("client"));
  publishAfterResponse(c, row.id);
  return c.json(
    success({
      userId: row.id,
      status: "cancelled" as const,
      cancelledAt: iso(row.accountDeletionCancelledAt) ?? "",
    }),
    200,
  );
};

export const finalizeNowHandler: RouteHandler<typeof finalizeNowRoute> = async (c) => {
  if (!(await isEnabled(c.env, "account-deletion-finalize-now"))) {
    await confirmAccount(c);
    throw new ApiError(403, [{ key: "deletion.finalizeNowDisabled" }]);
  }
  const userId = c.get("account").id;
  const db = c.get("db");
  const finalizedAt = new Date();
  const finalized = await finalizeAccount(db, userId, {
    source: "user",
    client: c.get("client"),
    now: finalizedAt,
    chunkRows: settings(c.env).FINALIZE_CHUNK_ROWS,
    otherShards: otherShardsOf(c.env, userId).length > 0,
  });
  if (!finalized) {
    // Not pending: a 401 when the token's account is gone, else nothing to finalize.
    const state = await accountStateError(db, userId);
    throw state?.status === 401 ? state : new ApiError(409, [{ key: "deletion.notPending" }]);
  }
  publishAfterResponse(c, userId);
  // The username and email are given up in the directory by the queue, retried until done.
  afterResponseOf(c.executionCtx)(() => sendJobs(c.env, [{ kind: "release-account", userId }]));
  // Committed: from here on a failure is the cron's to finish, and the client gets its success.
  const media = await deleteAccountMedia(c.env, db, userId, afterResponseOf(c.executionCtx)).catch(
    (error: unknown) => {
      log("warn", "finalized account's media left to the cron", { userId, error: errorFields(error).error });
      return { queued: true };
    },
  );
  // The batch drained an ordinary account whole; the rest of a larger one goes through the queue.
  const drain = await startDrain(c.env, db, userId, finalized.drainFrom, { chunks: 0, ms: 0 });
  return c.json(
    success({
      userId,
      status: "finalized" as const,
      finalizedAt: finalizedAt.toISOString(),
      receipt: erasureReceipt(c.get("language"), { photos: media.queued, follows: !drain.done }),
    }),
    200,
  );
};
