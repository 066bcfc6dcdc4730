import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardBindings } from "../src/lib/shards";
import { otherShardsOf } from "../src/users/follows";
import { watchD1 } from "./d1-observer";
import { DELETION, FINALIZE_NOW, setFinalizeNowFlag } from "./deletion-helpers";
import { gpsJpeg } from "./fixtures";
import { apiWith, createUser, tokenFor, uploadPhoto } from "./helpers";

// At the edge a request's latency is its D1 round trips (a replica for a GET, the primary for the
// rest), so each endpoint's count is pinned here. The counts are today's: lower one when a change
// earns it (the goal is one round trip on every happy path, at most two on an error path). A count
// that goes up fails this file.

// One round trip on every happy path: the token's account check is part of each route's own
// statement (requireToken), and what a response does not need (the account events, the replaced
// photo's objects, the prefix jobs' bookkeeping) runs after it, in waitUntil. An error path reads
// once more to say why.
const GET_ME = 1;
const GET_STATS = 1;
const GET_DELETION_STATE = 1;
const PUT_PROFILE = 1;
// The unchanged-email update, the account's state, the claim, the update (the directory's
// finish is after the response).
const PUT_PROFILE_NEW_EMAIL = 4;
const PUT_PROFILE_INVALID_BODY = 1;
// The account's state, then the directory's claim.
const PUT_PROFILE_EMAIL_TAKEN = 3;
const PUT_PROFILE_LOCKED = 2;
// The directory's claim, then the shard's change (the directory's finish is after the response).
const PATCH_USERNAME = 2;
const PATCH_USERNAME_TAKEN = 2;
// The claim, the shard's refusal, the claim given back, the read that says why.
const PATCH_USERNAME_COOLDOWN = 4;
const PATCH_PHOTO_FIRST = 1;
const PATCH_PHOTO_REPLACING = 1;
const PATCH_PHOTO_LOCKED = 2;
const POST_DELETION = 1;
const POST_DELETION_ALREADY_PENDING = 2;
const DELETE_DELETION = 1;
const DELETE_DELETION_NOT_PENDING = 2;
// The finalization batch, then, when other shards hold users, the hand-off of the follow edges'
// other halves: one small batch on each other shard (side by side) and one on the account's own.
const FINALIZE_NOW_TRIPS = 1;
const handOff = (userId: string) => {
  const others = otherShardsOf(env, userId).length;
  return others > 0 ? others + 1 : 0;
};
const FINALIZE_NOW_NOT_PENDING = 2;
const FINALIZE_NOW_FLAG_OFF = 1;
const NO_TOKEN = 0;
const FINALIZED_ACCOUNT = 1;

const ME = "/api/v1/users/me";
const STATS = "/api/v1/users/me/stats";
const PROFILE = "/api/v1/users/profile";
const USERNAME = "/api/v1/users/profile/username";
const PHOTO = "/api/v1/users/profile/photo";
const DAY_MS = 24 * 60 * 60 * 1000;

type Init = RequestInit & { token?: string; json?: unknown };
/** A request's round trips on the shards (by target and kind), and with the directory's (total). */
type Trips = { primary: number; replica: number; batches: number; total: number };

/** One request through the Worker's fetch with a counted D1 binding: its status and round trips. */
async function counted(path: string, init: Init = {}): Promise<{ status: number; trips: Trips }> {
  // Every shard (the user's own is the one used) and the directory are counted.
  const shards = shardBindings(env).map((d1) => watchD1(d1));
  const directory = watchD1(env.DIRECTORY);
  const overrides = Object.fromEntries(shards.map((counter, shard) => [`USERS_${shard}`, counter.d1]));
  // The client waits for the trips before its response; work left in waitUntil (sending the
  // account events, say) happens after it. The directory's trips count too (total).
  let trips: Trips | undefined;
  const response = await apiWith(path, { ...overrides, DIRECTORY: directory.d1 }, init, () => {
    const sum = (key: "primary" | "replica" | "batches") =>
      shards.reduce((total, counter) => total + counter.counts[key], 0);
    const shardTrips = sum("primary") + sum("replica");
    trips = {
      primary: sum("primary"),
      replica: sum("replica"),
      batches: sum("batches"),
      total: shardTrips + directory.counts.total,
    };
  });
  await response.arrayBuffer();
  if (!trips) throw new Error("no response");
  return { status: response.status, trips };
}

async function signedIn(overrides: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(overrides);
  return { user, token: await tokenFor(user.id) };
}

function photoForm() {
  const form = new FormData();
  form.append("file", new File([gpsJpeg], "photo.jpg", { type: "image/jpeg" }));
  return form;
}

const pending = () => ({
  accountDeletionStatus: "pending" as const,
  accountDeletionRequestedAt: new Date(),
  accountDeletionScheduledFor: new Date(Date.now() + 28 * DAY_MS),
});

/** A GET reads replicas only; anything else goes to the primary only. */
function expectTargets(method: string, trips: Trips) {
  if (method === "GET") expect(trips.primary).toBe(0);
  else expect(trips.replica).toBe(0);
}

describe("D1 round trips per request", () => {
  it.each([
    ["GET /users/me", ME, GET_ME],
    ["GET /users/me/stats", STATS, GET_STATS],
    ["GET /users/me/account-deletion", DELETION, GET_DELETION_STATE],
  ])("%s: %i", async (_label, path, expected) => {
    const { token } = await signedIn();
    const { status, trips } = await counted(path, { token });
    expect(status).toBe(200);
    expect(trips.total).toBe(expected);
    expectTargets("GET", trips);
  });

  it("PUT /users/profile (the email unchanged)", async () => {
    const { user, token } = await signedIn();
    const { status, trips } = await counted(PROFILE, {
      method: "PUT",
      token,
      json: { name: "Round", surname: "Trip", email: user.email },
    });
    expect(status).toBe(200);
    expect(trips.total).toBe(PUT_PROFILE);
    expectTargets("PUT", trips);
  });

  it("PUT /users/profile with a new email", async () => {
    const { user, token } = await signedIn();
    const { status, trips } = await counted(PROFILE, {
      method: "PUT",
      token,
      json: { name: "Round", surname: "Trip", email: `new.${user.id}@example.com` },
    });
    expect(status).toBe(200);
    expect(trips.total).toBe(PUT_PROFILE_NEW_EMAIL);
  });

  it("PUT /users/profile with an invalid body: 400", async () => {
    const { token } = await signedIn();
    const { status, trips } = await counted(PROFILE, { method: "PUT", token, json: { name: "" } });
    expect(status).toBe(400);
    expect(trips.total).toBe(PUT_PROFILE_INVALID_BODY);
  });

  it("PUT /users/profile with another user's email: 409", async () => {
    const other = await createUser();
    const { token } = await signedIn();
    const { status, trips } = await counted(PROFILE, {
      method: "PUT",
      token,
      json: { name: "Round", surname: "Trip", email: other.email },
    });
    expect(status).toBe(409);
    expect(trips.total).toBe(PUT_PROFILE_EMAIL_TAKEN);
  });

  it("PUT /users/profile while deletion is pending: 403", async () => {
    const { token } = await signedIn(pending());
    const { status, trips } = await counted(PROFILE, {
      method: "PUT",
      token,
      json: { name: "Round", surname: "Trip" },
    });
    expect(status).toBe(403);
    expect(trips.total).toBe(PUT_PROFILE_LOCKED);
  });

  it("PATCH /users/profile/username", async () => {
    const { user, token } = await signedIn();
    const { status, trips } = await counted(USERNAME, {
      method: "PATCH",
      token,
      json: { username: `renamed_${user.id.slice(-8)}` },
    });
    expect(status).toBe(200);
    expect(trips.total).toBe(PATCH_USERNAME);
    expectTargets("PATCH", trips);
  });

  it("PATCH /users/profile/username to a taken name: 409", async () => {
    const other = await createUser();
    const { token } = await signedIn();
    const { status, trips } = await counted(USERNAME, {
      method: "PATCH",
      token,
      json: { username: other.username },
    });
    expect(status).toBe(409);
    expect(trips.total).toBe(PATCH_USERNAME_TAKEN);
  });

  it("PATCH /users/profile/username within the cooldown: 409", async () => {
    const { user, token } = await signedIn({ usernameChangedAt: new Date() });
    const { status, trips } = await counted(USERNAME, {
      method: "PATCH",
      token,
      json: { username: `renamed_${user.id.slice(-8)}` },
    });
    expect(status).toBe(409);
    expect(trips.total).toBe(PATCH_USERNAME_COOLDOWN);
  });

  it("PATCH /users/profile/photo, the first photo", async () => {
    const { token } = await signedIn();
    const { status, trips } = await counted(PHOTO, { method: "PATCH", token, body: photoForm() });
    expect(status).toBe(200);
    expect(trips.total).toBe(PATCH_PHOTO_FIRST);
    expectTargets("PATCH", trips);
  });

  it("PATCH /users/profile/photo, replacing a photo", async () => {
    const { token } = await signedIn();
    await uploadPhoto(token, gpsJpeg, "image/jpeg");
    const { status, trips } = await counted(PHOTO, { method: "PATCH", token, body: photoForm() });
    expect(status).toBe(200);
    expect(trips.total).toBe(PATCH_PHOTO_REPLACING);
  });

  it("PATCH /users/profile/photo while deletion is pending: 403", async () => {
    const { token } = await signedIn(pending());
    const { status, trips } = await counted(PHOTO, { method: "PATCH", token, body: photoForm() });
    expect(status).toBe(403);
    expect(trips.total).toBe(PATCH_PHOTO_LOCKED);
  });

  it("POST /users/me/account-deletion", async () => {
    const { token } = await signedIn();
    const { status, trips } = await counted(DELETION, { method: "POST", token, json: {} });
    expect(status).toBe(200);
    expect(trips.total).toBe(POST_DELETION);
    expectTargets("POST", trips);
  });

  it("POST /users/me/account-deletion while pending: 409", async () => {
    const { token } = await signedIn(pending());
    const { status, trips } = await counted(DELETION, { method: "POST", token, json: {} });
    expect(status).toBe(409);
    expect(trips.total).toBe(POST_DELETION_ALREADY_PENDING);
  });

  it("DELETE /users/me/account-deletion", async () => {
    const { token } = await signedIn(pending());
    const { status, trips } = await counted(DELETION, { method: "DELETE", token });
    expect(status).toBe(200);
    expect(trips.total).toBe(DELETE_DELETION);
    expectTargets("DELETE", trips);
  });

  it("DELETE /users/me/account-deletion when nothing is pending: 409", async () => {
    const { token } = await signedIn();
    const { status, trips } = await counted(DELETION, { method: "DELETE", token });
    expect(status).toBe(409);
    expect(trips.total).toBe(DELETE_DELETION_NOT_PENDING);
  });

  it("no token: 401 without touching D1", async () => {
    const { status, trips } = await counted(ME);
    expect(status).toBe(401);
    expect(trips.total).toBe(NO_TOKEN);
  });

  it("the token of a finalized account: 401", async () => {
    const { token } = await signedIn({
      accountDeletionStatus: "finalized",
      accountDeletionFinalizedAt: new Date(),
    });
    const { status, trips } = await counted(ME, { token });
    expect(status).toBe(401);
    expect(trips.total).toBe(FINALIZED_ACCOUNT);
  });
});

// The flag is one KV key shared by the file: these run in order, off first.
describe("D1 round trips of finalize-now", () => {
  it("while the flag is off: 403", async () => {
    await setFinalizeNowFlag(false);
    const { token } = await signedIn(pending());
    const { status, trips } = await counted(FINALIZE_NOW, { method: "POST", token });
    expect(status).toBe(403);
    expect(trips.total).toBe(FINALIZE_NOW_FLAG_OFF);
  });

  it("an account without photos", async () => {
    await setFinalizeNowFlag(true);
    const { user, token } = await signedIn(pending());
    const { status, trips } = await counted(FINALIZE_NOW, { method: "POST", token });
    expect(status).toBe(200);
    expect(trips.total).toBe(FINALIZE_NOW_TRIPS + handOff(user.id));
    expectTargets("POST", trips);
  });

  it("an account with a photo", async () => {
    await setFinalizeNowFlag(true);
    const { user, token } = await signedIn();
    await uploadPhoto(token, gpsJpeg, "image/jpeg");
    expect((await counted(DELETION, { method: "POST", token, json: {} })).status).toBe(200);
    const { status, trips } = await counted(FINALIZE_NOW, { method: "POST", token });
    expect(status).toBe(200);
    expect(trips.total).toBe(FINALIZE_NOW_TRIPS + handOff(user.id));
  });

  it("when nothing is pending: 409", async () => {
    await setFinalizeNowFlag(true);
    const { token } = await signedIn();
    const { status, trips } = await counted(FINALIZE_NOW, { method: "POST", token });
    expect(status).toBe(409);
    expect(trips.total).toBe(FINALIZE_NOW_NOT_PENDING);
  });
});
