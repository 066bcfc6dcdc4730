import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { emails, usernames } from "../src/db/directory-schema";
import { dataExports, users } from "../src/db/schema";
import { newObjectId } from "../src/lib/ids";
import { shardBinding, shardBindings, shardDbOf } from "../src/lib/shards";
import { directoryOf, emailHash } from "../src/users/directory";
import { writeFollows } from "../src/users/follows";
import { watchD1 } from "./d1-observer";
import { apiWith, createUser, idOnShard, tokenFor } from "./helpers";
import { runCron } from "./jobs";

// The directory is the one judge of usernames and emails across the shards: the suite's four
// shards, with users placed on chosen ones.

const directory = directoryOf(env);

/** A registered user on `shard`: the row on its shard, its name and email in the directory. */
async function userOnShard(shard: number) {
  const row = await createUser({ id: idOnShard(shard) });
  const token = await tokenFor(row.id);
  const send = (path: string, init: RequestInit & { json?: unknown }, overrides: Partial<Env> = {}) =>
    apiWith(path, overrides, { ...init, token }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as { errors: string[] },
    }));
  return {
    row,
    rename: (username: string, overrides?: Partial<Env>) =>
      send("/api/v1/users/profile/username", { method: "PATCH", json: { username } }, overrides),
    setEmail: (email: string) =>
      send("/api/v1/users/profile", { method: "PUT", json: { name: "Dir", surname: "User", email } }),
  };
}

const storedName = async (userId: string) =>
  (
    await shardDbOf(env, userId).select({ username: users.username }).from(users).where(eq(users.id, userId))
  )[0]?.username;

const claimOf = async (username: string) =>
  (await directory.select().from(usernames).where(eq(usernames.username, username)))[0];

describe("usernames across shards", () => {
  it("of users on four shards asking for one name at once, exactly one wins; directory and shards agree", async () => {
    const contenders = await Promise.all([0, 1, 2, 3, 0, 1, 2, 3].map((shard) => userOnShard(shard)));
    const wanted = `race_${newObjectId().slice(-8)}`;
    const outcomes = await Promise.all(contenders.map((user) => user.rename(wanted)));
    const statuses = outcomes.map((outcome) => outcome.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(7);
    const winner = contenders[statuses.indexOf(200)];
    expect(await claimOf(wanted)).toMatchObject({ userId: winner?.row.id, pendingSince: null });
    for (const user of contenders) {
      expect(await storedName(user.row.id)).toBe(user === winner ? wanted : user.row.username);
    }
  });

  it("a name taken on another shard is 409 taken", async () => {
    const owner = await userOnShard(1);
    const other = await userOnShard(2);
    const refused = await other.rename(owner.row.username ?? "");
    expect(refused.status).toBe(409);
    expect(refused.body.errors[1]).toBe("username: is already taken");
  });

  it("a claim whose shard write fails is given back at once; one left pending is settled by the cron", async () => {
    const user = await userOnShard(3);
    const wanted = `fail_${newObjectId().slice(-8)}`;
    const real = shardBinding(env, 3);
    const failingShard = watchD1(real, { faults: { failBatch: () => true } }).d1;
    const failed = await user.rename(wanted, { USERS_3: failingShard } as Partial<Env>);
    expect(failed.status).toBe(500);
    expect(await claimOf(wanted)).toBeUndefined();

    // A request that died between its claim and its shard write leaves the claim pending.
    const stale = new Date(Date.now() - 60 * 60 * 1000);
    await directory
      .insert(usernames)
      .values({ username: wanted, userId: user.row.id, claimedAt: stale, pendingSince: stale });
    // And one whose shard write happened but whose finish did not.
    const applied = `done_${newObjectId().slice(-8)}`;
    await directory
      .insert(usernames)
      .values({ username: applied, userId: user.row.id, claimedAt: stale, pendingSince: stale });
    await shardDbOf(env, user.row.id)
      .update(users)
      .set({ username: applied })
      .where(eq(users.id, user.row.id));

    await runCron(new Date());
    expect(await claimOf(wanted)).toBeUndefined();
    expect(await claimOf(applied)).toMatchObject({ userId: user.row.id, pendingSince: null });
    // The name it had before is held for it, no longer claimed.
    expect(await claimOf(user.row.username ?? "")).toBeUndefined();
  });
});

describe("emails across shards", () => {
  it("an email in use on another shard is 409, whatever its case; a free one moves the claim", async () => {
    const owner = await userOnShard(0);
    const other = await userOnShard(3);
    const refused = await other.setEmail((owner.row.email ?? "").toUpperCase());
    expect(refused.status).toBe(409);
    expect(refused.body.errors[1]).toBe("email: is already in use");

    const fresh = `moved.${newObjectId()}@example.com`;
    expect((await other.setEmail(fresh)).status).toBe(200);
    const claims = await directory.select().from(emails).where(eq(emails.userId, other.row.id));
    expect(claims).toEqual([
      expect.objectContaining({ emailHash: await emailHash(env, fresh), pendingSince: null }),
    ]);
    // The directory holds a keyed hash, never the address.
    expect(JSON.stringify(claims)).not.toContain("example.com");
    // The old address is free again, for anyone on any shard.
    expect((await owner.setEmail(other.row.email ?? "")).status).toBe(200);
  });
});

describe("a data export across shards", () => {
  it("reads the account's own shard only, with the other people's usernames from the directory", async () => {
    const owner = await userOnShard(0);
    const others = await Promise.all([0, 1, 2, 3].map((shard) => userOnShard(shard)));
    await writeFollows(
      env,
      others.flatMap((other) => [
        { followerId: other.row.id, followeeId: owner.row.id, createdAt: new Date() },
        { followerId: owner.row.id, followeeId: other.row.id, createdAt: new Date() },
      ]),
    );
    const counters = shardBindings(env).map((binding) => watchD1(binding));
    const counted = Object.fromEntries(counters.map((counter, shard) => [`USERS_${shard}`, counter.d1]));
    const started = await apiWith("/api/v1/users/me/data-export", counted, {
      method: "POST",
      token: await tokenFor(owner.row.id),
    });
    expect(started.status).toBe(202);
    // The request and the build (drained with the same bindings) touched shard 0 alone.
    expect(counters.map((counter) => counter.counts.total > 0)).toEqual([true, false, false, false]);
    const [row] = await shardDbOf(env, owner.row.id)
      .select({ objectKey: dataExports.objectKey, status: dataExports.status })
      .from(dataExports)
      .where(eq(dataExports.userId, owner.row.id));
    expect(row?.status).toBe("ready");
    const archive = (await (await env.MEDIA.get(row?.objectKey ?? ""))?.json()) as {
      followers: { _id: string; username: string | null }[];
      following: { _id: string; username: string | null }[];
    };
    const expected = others
      .map((other) => ({ _id: other.row.id, username: other.row.username }))
      .sort((a, b) => a._id.localeCompare(b._id));
    const people = (list: { _id: string; username: string | null }[]) =>
      list.map(({ _id, username }) => ({ _id, username }));
    expect(people(archive.followers)).toEqual(expected);
    expect(people(archive.following)).toEqual(expected);
  });
});
