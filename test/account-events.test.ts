import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { AccountEventSchema } from "../src/account-events/account-events.schema";
import { eventsCron } from "../src/account-events/cron";
import { publishAccountEvents } from "../src/account-events/publish";
import { createDb } from "../src/db/client";
import { requestDeletion } from "../src/features/account-deletion/account-deletion.service";
import type { ClientContext } from "../src/lib/client-headers";
import { watchD1 } from "./d1-observer";
import { DAY_MS, DELETION, FINALIZE_NOW, personalData, setFinalizeNowFlag } from "./deletion-helpers";
import { outboxOf, recordingQueue } from "./event-helpers";
import { failing } from "./fault-bindings";
import { accountHandleOf, api, call, callWith, createUser, d1Of, dbOf, tokenFor } from "./helpers";
import { runCron } from "./jobs";

// Account events: written with each transition, sent to ACCOUNT_EVENTS after the commit, and
// again by the cron for what is still unsent; nothing for a transition that did not commit.

const USERNAME = "/api/v1/users/profile/username";
const WEB = { "X-Platform": "mobile_ios", "X-App-Version": "1.4.2", "X-Device-Id": "iPhone-of-Event-Tester" };

beforeAll(async () => {
  await setFinalizeNowFlag(true);
});

/** A consumer Worker's queue handler, run in workerd on a batch of what was delivered. */
async function consume(bodies: unknown[]) {
  const received: unknown[] = [];
  const batch = createMessageBatch(
    "account-events",
    bodies.map((body, index) => ({ id: `m${index}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  const consumer: ExportedHandler = {
    async queue(messages) {
      for (const message of messages.messages) {
        const event = AccountEventSchema.safeParse(message.body);
        if (event.success) {
          received.push(event.data);
          message.ack();
        } else message.retry();
      }
    },
  };
  await consumer.queue?.(batch as MessageBatch, env, ctx);
  return { result: await getQueueResult(batch, ctx), received };
}

describe("each transition's event reaches the queue once it committed", () => {
  it("request, cancel, username change, request and finalize-now: five events, sequence 1 to 5", async () => {
    const personal = personalData();
    const user = await createUser({ ...personal, usernameChangedAt: new Date(Date.now() - 40 * DAY_MS) });
    const token = await tokenFor(user.id);
    const queue = recordingQueue();
    const overrides = { ACCOUNT_EVENTS: queue.binding };
    const steps = [
      await callWith(DELETION, overrides, {
        method: "POST",
        token,
        json: { reason: "moving on" },
        headers: WEB,
      }),
      await callWith(DELETION, overrides, { method: "DELETE", token, headers: WEB }),
      await callWith(USERNAME, overrides, {
        method: "PATCH",
        token,
        json: { username: `renamed_${user.id.slice(-6)}` },
      }),
      await callWith(DELETION, overrides, { method: "POST", token, headers: WEB }),
      await callWith(FINALIZE_NOW, overrides, { method: "POST", token, headers: WEB }),
    ];
    expect(steps.map((step) => step.status)).toEqual([200, 200, 200, 200, 200]);

    // Sent right after each commit (waitUntil), one sendBatch per transition.
    expect(queue.calls.sendBatch).toBe(5);
    expect(queue.delivered.map((event) => [event.type, event.sequence, event.userId, event.source])).toEqual([
      ["account.deletion_requested", 1, user.id, "user"],
      ["account.deletion_cancelled", 2, user.id, "user"],
      ["account.username_changed", 3, user.id, "user"],
      ["account.deletion_requested", 4, user.id, "user"],
      ["account.finalized", 5, user.id, "user"],
    ]);
    expect(queue.delivered[2]).toMatchObject({
      oldUsername: personal.username,
      newUsername: `renamed_${user.id.slice(-6)}`,
    });
    for (const event of queue.delivered) {
      expect(AccountEventSchema.safeParse(event).success).toBe(true);
      expect(Date.parse(event.occurredAt as string)).toBeLessThanOrEqual(Date.now());
    }
    expect(new Set(queue.delivered.map((event) => event.eventId)).size).toBe(5);
    // Ids, times and public handles only.
    const wire = JSON.stringify(queue.delivered);
    for (const value of [
      personal.name,
      personal.surname,
      personal.email,
      personal.phoneNumber,
      WEB["X-Device-Id"],
      "moving on",
    ]) {
      expect(wire).not.toContain(value);
    }

    // The outbox knows they went, and keeps no username once sent.
    const rows = await outboxOf(user.id);
    expect(rows.map((row) => [row.eventId, row.sentAt !== null, row.payload, row.attempts])).toEqual(
      queue.delivered.map((event) => [event.eventId, true, null, 0]),
    );

    // A consumer Worker in workerd accepts every message against the published schema.
    const { result, received } = await consume(queue.delivered);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(result.retryMessages).toEqual([]);
    expect(received).toEqual(queue.delivered);
  });

  it("the cron's finalization publishes account.finalized with source cron", async () => {
    const user = await createUser({
      accountDeletionStatus: "pending",
      accountDeletionRequestedAt: new Date(Date.now() - 30 * DAY_MS),
      accountDeletionScheduledFor: new Date(Date.now() - DAY_MS),
    });
    const queue = recordingQueue();
    await runCron(new Date(), { ACCOUNT_EVENTS: queue.binding });
    const mine = queue.delivered.filter((event) => event.userId === user.id);
    expect(mine.map((event) => [event.type, event.source, event.sequence])).toEqual([
      ["account.finalized", "cron", 1],
    ]);
    expect(await outboxOf(user.id)).toEqual([expect.objectContaining({ sentAt: expect.any(Date) })]);
  });
});

describe("a send failure", () => {
  it("still answers 200; the event stays unsent and the next cron run delivers it, once", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const broken = failing(env.ACCOUNT_EVENTS, ["sendBatch"], "throws");
    const requested = await callWith(DELETION, { ACCOUNT_EVENTS: broken.binding }, { method: "POST", token });
    expect(requested.status).toBe(200);
    expect(broken.calls.count).toBe(1);
    const [stored] = await outboxOf(user.id);
    expect(stored).toMatchObject({
      type: "account.deletion_requested",
      sequence: 1,
      sentAt: null,
      attempts: 1,
    });

    // A cron run during the outage counts one more attempt.
    await expect(
      eventsCron({ ...env, ACCOUNT_EVENTS: broken.binding }, dbOf(user.id)),
    ).resolves.toMatchObject({
      eventsFailed: expect.any(Number),
    });
    expect((await outboxOf(user.id))[0]?.attempts).toBe(2);

    const queue = recordingQueue();
    const healthy = await eventsCron({ ...env, ACCOUNT_EVENTS: queue.binding }, dbOf(user.id));
    expect(healthy.eventsLeft).toBe(0);
    expect(queue.delivered.filter((event) => event.userId === user.id)).toEqual([
      expect.objectContaining({ eventId: stored?.eventId, type: "account.deletion_requested", sequence: 1 }),
    ]);
    // Delivered: the next run sends nothing again.
    const again = recordingQueue();
    await eventsCron({ ...env, ACCOUNT_EVENTS: again.binding }, dbOf(user.id));
    expect(again.delivered.filter((event) => event.userId === user.id)).toEqual([]);
  });
});

describe("nothing is sent for a transition that did not commit", () => {
  it("refused transitions (409, cooldown) write no event and send nothing", async () => {
    const user = await createUser({ usernameChangedAt: new Date() });
    const token = await tokenFor(user.id);
    const queue = recordingQueue();
    const overrides = { ACCOUNT_EVENTS: queue.binding };
    expect((await callWith(DELETION, overrides, { method: "DELETE", token })).status).toBe(409);
    const renamed = await callWith(USERNAME, overrides, {
      method: "PATCH",
      token,
      json: { username: `cooldown_${user.id.slice(-6)}` },
    });
    expect(renamed.status).toBe(409);
    expect((await callWith(DELETION, overrides, { method: "POST", token })).status).toBe(200);
    expect((await callWith(DELETION, overrides, { method: "POST", token })).status).toBe(409);
    expect(queue.delivered.map((event) => event.type)).toEqual(["account.deletion_requested"]);
    expect((await outboxOf(user.id)).map((row) => row.sequence)).toEqual([1]);
  });

  it("a D1 batch that throws leaves neither the transition nor its event", async () => {
    const user = await createUser();
    // The transition's batch gets a failing statement after the audit and event inserts.
    const broken = watchD1(d1Of(user.id), { faults: { breakBatchAt: () => 2 } });
    const client: ClientContext = {
      platform: "web",
      appVersion: null,
      deviceId: null,
      timezone: "UTC",
      bookmark: null,
    };
    await expect(
      requestDeletion(createDb(broken.d1), await accountHandleOf(user.id), null, 28, client),
    ).rejects.toThrow();
    expect(broken.counts.batches).toBe(1);
    expect(await outboxOf(user.id)).toEqual([]);
    const queue = recordingQueue();
    expect(
      await publishAccountEvents({ ...env, ACCOUNT_EVENTS: queue.binding }, dbOf(user.id), {
        userId: user.id,
      }),
    ).toEqual({
      sent: 0,
      failed: 0,
    });
    expect(queue.calls.sendBatch).toBe(0);
    const state = await call<{ status: string | null }>(DELETION, { token: await tokenFor(user.id) });
    expect(state.body.data.status).toBeNull();
  });
});

describe("the OpenAPI document", () => {
  it("publishes the four event shapes under webhooks", async () => {
    const response = await api("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      webhooks: Record<
        string,
        { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    expect(Object.keys(document.webhooks).sort()).toEqual([
      "account.deletion_cancelled",
      "account.deletion_requested",
      "account.finalized",
      "account.username_changed",
    ]);
    const ref =
      document.webhooks["account.username_changed"]?.post.requestBody.content["application/json"]?.schema
        .$ref;
    expect(ref).toBe("#/components/schemas/AccountUsernameChangedEvent");
    const schema = document.components.schemas.AccountUsernameChangedEvent;
    expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(
      ["eventId", "newUsername", "occurredAt", "oldUsername", "sequence", "source", "type", "userId"].sort(),
    );
    expect(schema?.required).toContain("eventId");
  });
});
