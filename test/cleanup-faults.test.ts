import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventsCron } from "../src/account-events/cron";
import { users } from "../src/db/schema";
import { finalizeAccount } from "../src/features/account-deletion/finalize";
import { watchD1 } from "./d1-observer";
import { DELETION } from "./deletion-helpers";
import { recordingQueue } from "./event-helpers";
import { wrapped } from "./fault-bindings";
import { progressiveJpeg } from "./fixtures";
import { call, callWith, createUser, d1Of, dbOf, onShardOf, tokenFor, uploadPhoto } from "./helpers";
import { afterStall, runCron } from "./jobs";

// Writes that may have committed are never undone blindly, and nothing a finalized account owned
// survives a race with its finalization.

const EXPORT = "/api/v1/users/me/data-export";

async function keysUnder(prefix: string) {
  return (await env.MEDIA.list({ prefix })).objects.map((object) => object.key);
}

describe("a photo upload whose D1 batch commits and then reports an error", () => {
  it("keeps the new photo the row now points to, and the next cron deletes only the old one", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const old = await uploadPhoto(token, progressiveJpeg, "image/jpeg");

    // The first batch (the swap) reaches D1, then the call reports a failure.
    const committedThenFailed = (d1: D1Database) =>
      watchD1(d1, { faults: { failAfterCommit: (n) => n === 1 } }).d1;
    const form = new FormData();
    form.append("file", new File([progressiveJpeg], "photo", { type: "image/jpeg" }));
    const { status } = await callWith(
      "/api/v1/users/profile/photo",
      onShardOf(user.id, committedThenFailed),
      {
        method: "PATCH",
        token,
        body: form,
      },
    );
    expect(status).toBe(200);
    const [row] = await dbOf(user.id).select().from(users).where(eq(users.id, user.id));
    expect(row?.profilePhotoKey).not.toBe(old.key);

    await runCron(afterStall(afterStall()));
    // The photo the profile shows is whole; the replaced one is gone.
    const current = (await keysUnder(`profile-photos/${user.id}/`)).sort();
    expect(current).toHaveLength(3);
    expect(current).toContain(row?.profilePhotoKey);
    expect(await env.MEDIA.head(old.key)).toBeNull();
  });
});

describe("a data export whose build is finalized away while it writes", () => {
  it("deletes the archive its put stored before failing, so nothing with the email survives", async () => {
    const user = await createUser({ accountDeletionStatus: "pending" });
    const token = await tokenFor(user.id);
    // The account is finalized between the build's reads and its put, and the put stores the
    // object and then reports a failure.
    const racing = wrapped(env.MEDIA, {
      put: async (...args: Parameters<R2Bucket["put"]>) => {
        await finalizeAccount(dbOf(user.id), user.id, {
          source: "admin",
          client: null,
          now: new Date(),
          chunkRows: 4000,
          otherShards: false,
        });
        await env.MEDIA.put(...args);
        throw new Error("simulated connection reset after the write");
      },
    });
    const started = await callWith(EXPORT, { MEDIA: racing }, { method: "POST", token });
    expect(started.status).toBe(202);
    expect(await keysUnder(`exports/${user.id}/`)).toEqual([]);
    // Even an archive nothing names (its build died before it could delete it) goes with the sweep.
    const stray = `exports/${user.id}/${"a".repeat(24)}.json`;
    await env.MEDIA.put(stray, JSON.stringify({ email: "left@example.com" }));
    await runCron(new Date(Date.now() + 2 * 60 * 60 * 1000));
    expect(await env.MEDIA.head(stray)).toBeNull();
  });
});

describe("a finalized account's queued usernames", () => {
  it("are erased in the finalization batch, and the event is sent without them", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const broken = wrapped(env.ACCOUNT_EVENTS, {
      sendBatch: () => Promise.reject(new Error("simulated queue outage")),
    });
    const renamed = await callWith(
      "/api/v1/users/profile/username",
      { ACCOUNT_EVENTS: broken },
      {
        method: "PATCH",
        token,
        json: { username: `gone_${user.id.slice(-6)}` },
      },
    );
    expect(renamed.status).toBe(200);
    expect((await callWith(DELETION, { ACCOUNT_EVENTS: broken }, { method: "POST", token })).status).toBe(
      200,
    );
    await finalizeAccount(dbOf(user.id), user.id, {
      source: "admin",
      client: null,
      now: new Date(),
      chunkRows: 4000,
      otherShards: false,
    });
    const { results } = await d1Of(user.id)
      .prepare("SELECT payload FROM account_event_outbox WHERE user_id = ?")
      .bind(user.id)
      .all<{ payload: string | null }>();
    expect(results.map((row) => row.payload)).toEqual([null, null, null]);
    expect((await call("/api/v1/users/me", { token })).status).toBe(401);
    const queue = recordingQueue();
    await eventsCron({ ...env, ACCOUNT_EVENTS: queue.binding }, dbOf(user.id));
    const renamedEvent = queue.delivered.find(
      (event) => event.userId === user.id && event.type === "account.username_changed",
    );
    expect(renamedEvent).toMatchObject({ oldUsername: null, newUsername: null });
  });
});
