import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AccountEventSchema } from "../src/account-events/account-events.schema";
import { publishAccountEvents } from "../src/account-events/publish";
import { eraseStaleEventUsernames } from "../src/account-events/username-expiry";
import { settings } from "../src/lib/settings";
import { outboxOf, recordingQueue } from "./event-helpers";
import { failing } from "./fault-bindings";
import { callWith, createUser, dbOf, tokenFor } from "./helpers";
import { runCron } from "./jobs";

// An account event keeps the old and new usernames at most EVENT_PII_MAX_HOURS (default 72),
// sent or not: a queue that stays down must not keep a finalized account's names. An event that
// is still unsent then goes out without them.

const HOUR = 60 * 60 * 1000;

/** A username change whose event the queue refused: it waits in the outbox with both names. */
async function unsentRename() {
  const user = await createUser();
  const outage = failing(env.ACCOUNT_EVENTS, ["sendBatch"], "rejects");
  const renamed = await callWith(
    "/api/v1/users/profile/username",
    { ACCOUNT_EVENTS: outage.binding },
    { method: "PATCH", token: await tokenFor(user.id), json: { username: `renamed_${user.id.slice(-6)}` } },
  );
  expect(renamed.status).toBe(200);
  const [event] = await outboxOf(user.id);
  expect(event).toMatchObject({ sentAt: null, payload: { oldUsername: user.username } });
  return { user, occurredAt: event?.occurredAt ?? new Date() };
}

describe("EVENT_PII_MAX_HOURS", () => {
  it("defaults to 72 hours and takes another whole number of hours", () => {
    expect(settings({} as Env).EVENT_PII_MAX_HOURS).toBe(72);
    expect(settings({ EVENT_PII_MAX_HOURS: "6" } as unknown as Env).EVENT_PII_MAX_HOURS).toBe(6);
    expect(() => settings({ EVENT_PII_MAX_HOURS: "0" } as unknown as Env)).toThrow(/EVENT_PII_MAX_HOURS/);
  });
});

describe("eraseStaleEventUsernames", () => {
  it("keeps the names of an unsent event younger than the limit", async () => {
    const { user, occurredAt } = await unsentRename();
    await eraseStaleEventUsernames(dbOf(user.id), new Date(occurredAt.getTime() + 72 * HOUR - 1000), 72);
    expect((await outboxOf(user.id))[0]?.payload).toEqual({
      oldUsername: user.username,
      newUsername: `renamed_${user.id.slice(-6)}`,
    });
  });

  it("erases the names of an unsent event once the limit passed, and the event then goes out without them", async () => {
    const { user, occurredAt } = await unsentRename();
    const erased = await eraseStaleEventUsernames(
      dbOf(user.id),
      new Date(occurredAt.getTime() + 72 * HOUR),
      72,
    );
    expect(erased).toBeGreaterThanOrEqual(1);
    const [event] = await outboxOf(user.id);
    expect(event).toMatchObject({ payload: null, sentAt: null });

    const queue = recordingQueue();
    await publishAccountEvents({ ...env, ACCOUNT_EVENTS: queue.binding }, dbOf(user.id), { userId: user.id });
    expect(queue.delivered).toEqual([
      expect.objectContaining({
        eventId: event?.eventId,
        type: "account.username_changed",
        oldUsername: null,
        newUsername: null,
      }),
    ]);
    expect(AccountEventSchema.safeParse(queue.delivered[0]).success).toBe(true);
    expect(JSON.stringify(queue.delivered)).not.toContain(user.username ?? "");
  });

  it("leaves a sent event with no names, and is idempotent", async () => {
    const { user, occurredAt } = await unsentRename();
    await publishAccountEvents(env, dbOf(user.id), { userId: user.id });
    const later = new Date(occurredAt.getTime() + 100 * HOUR);
    await eraseStaleEventUsernames(dbOf(user.id), later, 72);
    expect(await eraseStaleEventUsernames(dbOf(user.id), later, 72)).toBe(0);
    const [event] = await outboxOf(user.id);
    expect(event?.sentAt).not.toBeNull();
    expect(event?.payload).toBeNull();
  });
});

describe("the cron", () => {
  it("erases stale usernames before it sends, so an event late past the limit goes out without them", async () => {
    const { user, occurredAt } = await unsentRename();
    const queue = recordingQueue();
    await runCron(new Date(occurredAt.getTime() + 73 * HOUR), { ACCOUNT_EVENTS: queue.binding });
    const sent = queue.delivered.find((event) => event.userId === user.id);
    expect(sent).toMatchObject({ type: "account.username_changed", oldUsername: null, newUsername: null });
    expect((await outboxOf(user.id))[0]?.payload).toBeNull();
  });
});
