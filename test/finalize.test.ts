import { env } from "cloudflare:workers";
import { and, eq, or } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  accountCleanupJobs,
  follows,
  liveStreams,
  mediaOutbox,
  mediaPrefixJobs,
  userCounters,
  users,
} from "../src/db/schema";
import { type FinalizeOptions, finalizeAccount } from "../src/features/account-deletion/finalize";
import { newObjectId } from "../src/lib/ids";
import { shardOf } from "../src/lib/shards";
import { writeFollows } from "../src/users/follows";
import {
  auditEvents,
  DELETION,
  FINALIZE_NOW,
  isErased,
  KEPT_COLUMNS,
  personalData,
  rawUser,
  setFinalizeNowFlag,
} from "./deletion-helpers";
import { failing } from "./fault-bindings";
import { progressiveJpeg } from "./fixtures";
import { api, call, callWith, createUser, dbOf, everyShardDb, tokenFor } from "./helpers";
import { afterStall, runCron } from "./jobs";

// finalize-now end to end: erasure of every personal column, R2, follows and counters, freed
// username and email, dead tokens, idempotence, and an R2 outage left to the cron.

type Stats = { followersCount: number; followingCount: number; liveStreamsCount: number };
type Finalized = { userId: string; status: "finalized"; finalizedAt: string; receipt: unknown };

async function stats(userId: string): Promise<Stats> {
  const { status, body } = await call<Stats>("/api/v1/users/me/stats", { token: await tokenFor(userId) });
  expect(status).toBe(200);
  return body.data;
}

/** A user with every personal column filled and a real photo object in R2. */
async function fullUser() {
  const id = newObjectId();
  const photoId = newObjectId();
  const key = `profile-photos/${id}/${photoId}.jpg`;
  await env.MEDIA.put(key, progressiveJpeg, { httpMetadata: { contentType: "image/jpeg" } });
  const personal = personalData(id.slice(-8));
  const user = await createUser({
    id,
    ...personal,
    profilePhotoId: photoId,
    profilePhotoKey: key,
    privacyPolicyVersion: "1.2.0",
    termsOfUseVersion: "1.1.0",
    consentFormVersion: "1.0.0",
  });
  const token = await tokenFor(id);
  const requested = await call(DELETION, {
    method: "POST",
    token,
    json: { reason: personal.accountDeletionReason },
  });
  expect(requested.status).toBe(200);
  const before = await rawUser(id);
  // Every personal column really is filled before finalizing, so erasing it proves something.
  for (const [column, value] of Object.entries(before ?? {})) {
    if (!KEPT_COLUMNS.has(column))
      expect({ column, erased: isErased(column, value) }).toEqual({ column, erased: false });
  }
  return { user, token, key, photoId, personal };
}

async function outboxRows(userId: string) {
  return dbOf(userId).select().from(mediaOutbox).where(eq(mediaOutbox.userId, userId));
}

async function prefixJobs(userId: string) {
  return dbOf(userId)
    .select({ prefix: mediaPrefixJobs.prefix, attempts: mediaPrefixJobs.attempts })
    .from(mediaPrefixJobs)
    .where(eq(mediaPrefixJobs.userId, userId));
}

beforeAll(async () => {
  await setFinalizeNowFlag(true);
});

const asAdmin = (): FinalizeOptions => ({
  source: "admin",
  client: null,
  now: new Date(),
  chunkRows: 4000,
  otherShards: false,
});

describe("finalize-now, end to end", () => {
  let leaving: Awaited<ReturnType<typeof fullUser>>;
  let followees: string[];
  let followers: string[];
  let bystander: string;
  let finalizedAt: string;
  const statsBefore = new Map<string, Stats>();

  beforeAll(async () => {
    leaving = await fullUser();
    followees = [(await createUser()).id, (await createUser()).id];
    followers = [(await createUser()).id, (await createUser()).id, (await createUser()).id];
    bystander = (await createUser()).id;
    const now = new Date();
    await writeFollows(env, [
      ...followees.map((followeeId) => ({ followerId: leaving.user.id, followeeId, createdAt: now })),
      ...followers.map((followerId) => ({ followerId, followeeId: leaving.user.id, createdAt: now })),
      // Follows between the others stay, with their counts.
      { followerId: bystander, followeeId: followees[0] ?? "", createdAt: now },
      { followerId: followers[0] ?? "", followeeId: bystander, createdAt: now },
    ]);
    await dbOf(leaving.user.id)
      .insert(liveStreams)
      .values([
        { id: newObjectId(), userId: leaving.user.id, title: "first", startedAt: now },
        { id: newObjectId(), userId: leaving.user.id, title: "second", startedAt: now, endedAt: now },
      ]);
    expect(await stats(leaving.user.id)).toEqual({
      followersCount: 3,
      followingCount: 2,
      liveStreamsCount: 2,
    });
    for (const id of [...followees, ...followers, bystander]) statsBefore.set(id, await stats(id));

    const before = Date.now();
    const { status, body } = await call<Finalized>(FINALIZE_NOW, {
      method: "POST",
      token: leaving.token,
      headers: { "X-Platform": "mobile_android", "X-App-Version": "5.0.1", "X-Device-Id": "pixel-7" },
    });
    expect(status).toBe(200);
    expect(body.data).toEqual({
      userId: leaving.user.id,
      status: "finalized",
      finalizedAt: body.data.finalizedAt,
      receipt: {
        erased: [
          "profile",
          "username",
          "email",
          "photos",
          "lastLogin",
          "deletionReason",
          "deviceIds",
          "liveStreamText",
          "follows",
          "dataExports",
        ],
        kept: ["tombstone", "consentRecords", "auditTrail", "liveStreams"].map((category) => ({
          category,
          reason: expect.stringMatching(/\w{3,}/),
        })),
        // R2 took every delete: nothing waits for the cron.
        photoObjectsQueued: false,
        // Five follows: the account's shard's halves removed in the request's one chunk; the
        // halves other shards hold are handed to the queue.
        followsQueued: [...followees, ...followers].some(
          (id) => shardOf(env, id) !== shardOf(env, leaving.user.id),
        ),
      },
    });
    expect(Date.parse(body.data.finalizedAt)).toBeGreaterThanOrEqual(before);
    finalizedAt = body.data.finalizedAt;
  });

  it("erases every personal column of the row, checked one by one from SELECT *", async () => {
    const row = (await rawUser(leaving.user.id)) ?? {};
    expect(row.username).toBeNull();
    expect(row.username_changed_at).toBeNull();
    expect(row.name).toBeNull();
    expect(row.surname).toBeNull();
    expect(row.email).toBeNull();
    expect(row.country_code).toBeNull();
    expect(row.phone_number).toBeNull();
    expect(row.gender).toBeNull();
    expect(row.birth_date).toBeNull();
    expect(row.interests).toBe("[]");
    expect(row.expertise).toBeNull();
    expect(row.bio).toBeNull();
    expect(row.instagram).toBeNull();
    expect(row.tiktok).toBeNull();
    expect(row.x).toBeNull();
    expect(row.snapchat).toBeNull();
    expect(row.facebook).toBeNull();
    expect(row.profile_photo_id).toBeNull();
    expect(row.profile_photo_key).toBeNull();
    expect(row.last_login).toBeNull();
    expect(row.account_deletion_reason).toBeNull();
    expect(row.availability_status).toBe("offline");
    // Any other column not kept on purpose is erased too (a new personal column fails here).
    for (const [column, value] of Object.entries(row)) {
      if (!KEPT_COLUMNS.has(column))
        expect({ column, erased: isErased(column, value) }).toEqual({ column, erased: true });
    }
    // No personal value (each carries the user's tag) survives anywhere in the row.
    const stored = JSON.stringify(row);
    const tag = leaving.user.id.slice(-8);
    const tagged = Object.values(leaving.personal).filter(
      (value) => typeof value === "string" && value.includes(tag),
    );
    expect(tagged.length).toBeGreaterThanOrEqual(10);
    for (const value of tagged) expect(stored).not.toContain(value);
    expect(stored).not.toContain(leaving.photoId);
  });

  it("leaves a tombstone: status finalized, accountDeletionFinalizedAt and deletedAt set", async () => {
    const row = (await rawUser(leaving.user.id)) ?? {};
    expect(row.id).toBe(leaving.user.id);
    expect(row.account_deletion_status).toBe("finalized");
    expect(row.account_deletion_finalized_at).toBe(Date.parse(finalizedAt));
    expect(row.deleted_at).toBe(Date.parse(finalizedAt));
    expect(row.account_deletion_requested_at).not.toBeNull();
    const events = await auditEvents(leaving.user.id);
    expect(events).toEqual([
      { event: "deletion_requested", source: "user" },
      { event: "deletion_finalized", source: "user" },
    ]);
  });

  it("deletes the photo object from R2 and leaves nothing in media_outbox", async () => {
    expect(await env.MEDIA.head(leaving.key)).toBeNull();
    expect((await env.MEDIA.list({ prefix: `profile-photos/${leaving.user.id}/` })).objects).toEqual([]);
    expect(await outboxRows(leaving.user.id)).toEqual([]);
    expect((await api(`/media/${leaving.key}`)).status).toBe(404);
  });

  it("removes the follows both ways, and the others' counters drop by one each", async () => {
    // No half of them is left on any shard (the other shards' went through the queue).
    for (const db of everyShardDb()) {
      const rows = await db
        .select()
        .from(follows)
        .where(or(eq(follows.followerId, leaving.user.id), eq(follows.followeeId, leaving.user.id)));
      expect(rows).toEqual([]);
    }
    for (const id of followees) {
      const before = statsBefore.get(id);
      expect(await stats(id)).toEqual({ ...before, followersCount: (before?.followersCount ?? 0) - 1 });
    }
    for (const id of followers) {
      const before = statsBefore.get(id);
      expect(await stats(id)).toEqual({ ...before, followingCount: (before?.followingCount ?? 0) - 1 });
    }
    expect(await stats(bystander)).toEqual(statsBefore.get(bystander));
    // The follows between the others are untouched: both halves, each on its user's shard.
    const followee = followees[0] ?? "";
    // (The same row twice when they share a shard.)
    for (const db of [dbOf(bystander), dbOf(followee)]) {
      const kept = await db
        .select()
        .from(follows)
        .where(and(eq(follows.followerId, bystander), eq(follows.followeeId, followee)));
      expect(kept.length).toBe(1);
    }
    for (const db of everyShardDb()) {
      // The tombstone has no counters: they went in the finalization batch, and nothing drained after.
      expect(await db.select().from(userCounters).where(eq(userCounters.userId, leaving.user.id))).toEqual(
        [],
      );
      // Nor is anything left to drain, on any shard.
      expect(
        await db.select().from(accountCleanupJobs).where(eq(accountCleanupJobs.userId, leaving.user.id)),
      ).toEqual([]);
    }
  });

  it("frees the email for another user at once, and the username after its hold", async () => {
    const username = leaving.personal.username;
    const email = leaving.personal.email;
    const other = await createUser();
    const token = await tokenFor(other.id);
    const profile = await call<{ email: string }>("/api/v1/users/profile", {
      method: "PUT",
      token,
      json: { name: "New", surname: "Owner", email: email.toUpperCase() },
    });
    expect(profile.status).toBe(200);
    expect(profile.body.data.email).toBe(email.toUpperCase());
    const rename = () =>
      call<{ username: string }>("/api/v1/users/profile/username", {
        method: "PATCH",
        token,
        json: { username },
      });
    const held = await rename();
    expect(held.status).toBe(409);
    expect(held.body.errors[1]).toBe(
      "username: was used recently by another account and is held for now; choose another",
    );
    // 15 days later (the default hold is 14).
    await env.DIRECTORY.prepare("UPDATE username_holds SET released_at = released_at - ? WHERE username = ?")
      .bind(15 * 86_400_000, username)
      .run();
    const renamed = await rename();
    expect(renamed.status).toBe(200);
    expect(renamed.body.data.username).toBe(username);
  });

  it("the old token gets 401 on every /api/v1 route", async () => {
    const token = leaving.token;
    const form = new FormData();
    form.append("file", new File([progressiveJpeg], "me.jpg", { type: "image/jpeg" }));
    const attempts: [string, string, RequestInit & { json?: unknown }][] = [
      ["GET", "/api/v1/users/me", {}],
      ["GET", "/api/v1/users/me/stats", {}],
      ["GET", DELETION, {}],
      ["PUT", "/api/v1/users/profile", { json: { name: "Back", surname: "Again" } }],
      [
        "PATCH",
        "/api/v1/users/profile/username",
        { json: { username: `back_${leaving.user.id.slice(-6)}` } },
      ],
      ["PATCH", "/api/v1/users/profile/photo", { body: form }],
      ["POST", DELETION, {}],
      ["DELETE", DELETION, {}],
      ["POST", FINALIZE_NOW, {}],
      ["GET", "/api/v1/admin/feature-flags", {}],
    ];
    for (const [method, path, init] of attempts) {
      const { status, body } = await call(path, { method, token, ...init });
      expect({ method, path, status }).toEqual({ method, path, status: 401 });
      expect(body.errors).toEqual([
        "Authentication required",
        "The bearer token's account does not exist or has been deleted",
      ]);
    }
    // Nothing came back to life.
    const row = (await rawUser(leaving.user.id)) ?? {};
    expect(row.name).toBeNull();
    expect(row.account_deletion_status).toBe("finalized");
  });

  it("finalizing twice does nothing: no account returned, no second audit row", async () => {
    expect(await finalizeAccount(dbOf(leaving.user.id), leaving.user.id, asAdmin())).toBeNull();
    const events = await auditEvents(leaving.user.id);
    expect(events.filter((event) => event.event === "deletion_finalized")).toEqual([
      { event: "deletion_finalized", source: "user" },
    ]);
    const row = (await rawUser(leaving.user.id)) ?? {};
    expect(row.account_deletion_finalized_at).toBe(Date.parse(finalizedAt));
  });
});

describe("finalize-now during an R2 outage", () => {
  it("still answers 200, says photos are queued, and the prefix waits in media_prefix_jobs", async () => {
    const { user, token, key } = await fullUser();
    const r2 = failing(env.MEDIA, ["delete"]);
    const { status, body } = await callWith<Finalized & { receipt: { photoObjectsQueued: boolean } }>(
      FINALIZE_NOW,
      { MEDIA: r2.binding },
      { method: "POST", token },
    );
    expect(status).toBe(200);
    expect(body.data.status).toBe("finalized");
    expect(body.data.receipt.photoObjectsQueued).toBe(true);
    // One bulk delete for the photo prefix; the empty exports prefix needed none.
    expect(r2.calls.count).toBe(1);

    const row = (await rawUser(user.id)) ?? {};
    expect(row.account_deletion_status).toBe("finalized");
    for (const [column, value] of Object.entries(row)) {
      if (!KEPT_COLUMNS.has(column))
        expect({ column, erased: isErased(column, value) }).toEqual({ column, erased: true });
    }
    // The object is still there, and its prefix is queued with one failed attempt.
    expect(await env.MEDIA.head(key)).not.toBeNull();
    expect(await prefixJobs(user.id)).toEqual([{ prefix: `profile-photos/${user.id}/`, attempts: 1 }]);

    // The next cron run after it stalled sends the prefix to the queue, which empties it.
    const report = await runCron(afterStall());
    expect(report?.deadLettered).toEqual([]);
    expect(await env.MEDIA.head(key)).toBeNull();
    expect(await prefixJobs(user.id)).toEqual([]);
    expect(await outboxRows(user.id)).toEqual([]);
  });

  it("a cron run during the outage keeps the prefix and counts the attempt", async () => {
    const { user, token, key } = await fullUser();
    const r2 = failing(env.MEDIA, ["delete"]);
    expect((await callWith(FINALIZE_NOW, { MEDIA: r2.binding }, { method: "POST", token })).status).toBe(200);
    const outage = afterStall();
    const report = await runCron(outage, { MEDIA: r2.binding });
    // Retried by the queue, then set aside; the job stays, with the cron's attempt counted.
    expect(report?.deadLettered).toEqual([
      { kind: "empty-prefix", shard: shardOf(env, user.id), prefix: `profile-photos/${user.id}/` },
    ]);
    expect(await prefixJobs(user.id)).toEqual([{ prefix: `profile-photos/${user.id}/`, attempts: 2 }]);
    expect(await env.MEDIA.head(key)).not.toBeNull();

    await runCron(afterStall(outage));
    expect(await env.MEDIA.head(key)).toBeNull();
    expect(await prefixJobs(user.id)).toEqual([]);
  });
});

describe("finalize-now deletes every photo object of the account", () => {
  function photoForm() {
    const form = new FormData();
    form.append("file", new File([progressiveJpeg], "me.jpg", { type: "image/jpeg" }));
    return form;
  }

  async function objectsOf(userId: string) {
    return (await env.MEDIA.list({ prefix: `profile-photos/${userId}/` })).objects.map(
      (object) => object.key,
    );
  }

  it("an earlier photo whose delete failed (queued) goes with the current one", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const first = await call("/api/v1/users/profile/photo", { method: "PATCH", token, body: photoForm() });
    expect(first.status).toBe(200);
    const r2 = failing(env.MEDIA, ["delete"]);
    const second = await callWith(
      "/api/v1/users/profile/photo",
      { MEDIA: r2.binding },
      {
        method: "PATCH",
        token,
        body: photoForm(),
      },
    );
    expect(second.status).toBe(200);
    // Two photos of three variants each; the first one's three are queued.
    expect((await objectsOf(user.id)).length).toBe(6);
    expect((await outboxRows(user.id)).length).toBe(3);

    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
    expect((await call(FINALIZE_NOW, { method: "POST", token })).status).toBe(200);
    expect(await objectsOf(user.id)).toEqual([]);
    expect(await outboxRows(user.id)).toEqual([]);
  });

  it("an upload refused by the lock whose clean-up delete failed leaves no object once finalized", async () => {
    // A locked account's upload is put in R2, refused by the row write, then deleted again; when
    // that delete fails the object is referenced by nothing and queued nowhere.
    const user = await createUser();
    const token = await tokenFor(user.id);
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
    const r2 = failing(env.MEDIA, ["delete"]);
    const refused = await callWith(
      "/api/v1/users/profile/photo",
      { MEDIA: r2.binding },
      {
        method: "PATCH",
        token,
        body: photoForm(),
      },
    );
    expect(refused.status).toBe(403);
    expect(r2.calls.count).toBe(1);

    expect((await call(FINALIZE_NOW, { method: "POST", token })).status).toBe(200);
    await runCron(afterStall());
    // The photo bytes of a finalized account must not stay in R2.
    expect(await objectsOf(user.id)).toEqual([]);
  });
});

describe("finalizeAccount", () => {
  it("does not touch an account that is not pending (never requested, cancelled)", async () => {
    const never = await createUser();
    const cancelled = await createUser({
      accountDeletionStatus: "cancelled",
      accountDeletionScheduledFor: new Date(0),
    });
    expect(await finalizeAccount(dbOf(never.id), never.id, asAdmin())).toBeNull();
    expect(await finalizeAccount(dbOf(cancelled.id), cancelled.id, asAdmin())).toBeNull();
    for (const { id } of [never, cancelled]) {
      const [row] = await dbOf(id).select().from(users).where(eq(users.id, id));
      expect(row?.name).toBe("Test");
    }
    expect(await auditEvents(never.id)).toEqual([]);
    expect(await auditEvents(cancelled.id)).toEqual([]);
  });
});
