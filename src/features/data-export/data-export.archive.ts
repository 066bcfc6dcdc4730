import { and, asc, eq } from "drizzle-orm";
import { encodeBase64 } from "hono/utils/encode";
import * as z from "zod";
import "@hono/zod-openapi";
import type { Db } from "../../db/client";
import {
  ACCOUNT_EVENT_TYPES,
  accountEvents,
  dataExports,
  EVENT_SOURCES,
  follows,
  liveStreams,
  mediaOutbox,
  users,
} from "../../db/schema";
import { deferSchema, resolveSchema } from "../../lib/deferred-schema";
import { errorFields, log } from "../../lib/log";
import { toUser, UserSchema } from "../../users/user-view";

const isoDate = z.iso.datetime();
const id = z.string().openapi({ example: "507f1f77bcf86cd799439011" });

const PersonSchema = z.object({ _id: id, username: z.string().nullable(), followedAt: isoDate });

// The archive, as one JSON document. The photo is inside it (base64 of the stored object), so the
// archive stays whole after the photo is replaced or the account is gone.
// Only the OpenAPI document reads it (it holds the deferred UserSchema): built when that is generated.
export const DataExportArchiveSchema = deferSchema(async () =>
  z
    .object({
      format: z.literal("profile-api.data-export"),
      version: z.literal(1),
      exportId: id,
      generatedAt: isoDate,
      user: await resolveSchema(UserSchema),
      consents: z.array(
        z.object({
          document: z.enum(["privacyPolicy", "termsOfUse", "consentForm"]),
          accepted: z.boolean(),
          version: z.string().nullable(),
        }),
      ),
      followers: z.array(PersonSchema),
      following: z.array(PersonSchema),
      liveStreams: z.array(
        z.object({ _id: id, title: z.string().nullable(), startedAt: isoDate, endedAt: isoDate.nullable() }),
      ),
      accountEvents: z.array(
        z.object({
          event: z.enum(ACCOUNT_EVENT_TYPES),
          source: z.enum(EVENT_SOURCES),
          platform: z.string().nullable(),
          appVersion: z.string().nullable(),
          deviceId: z.string().nullable(),
          createdAt: isoDate,
        }),
      ),
      profilePhoto: z
        .object({
          _id: id,
          contentType: z.string(),
          byteLength: z
            .number()
            .int()
            .nonnegative()
            .max(Number.MAX_SAFE_INTEGER)
            .openapi({ format: "int64" }),
          base64: z.string().openapi({ format: "byte" }),
        })
        .nullable(),
    })
    .openapi("DataExportArchive"),
);

export type DataExportArchive = z.infer<typeof DataExportArchiveSchema>;

/** What one build needs to know; `requestUrl` locates the media route for the user object's photo URL. */
export type ExportJob = { exportId: string; userId: string; objectKey: string; requestUrl: string };

/** The user's followers, or the people the user follows, with their usernames. */
function people(db: Db, userId: string, direction: "followers" | "following") {
  const [own, other] =
    direction === "followers"
      ? [follows.followeeId, follows.followerId]
      : [follows.followerId, follows.followeeId];
  return db
    .select({ _id: users.id, username: users.username, followedAt: follows.createdAt })
    .from(follows)
    .innerJoin(users, eq(users.id, other))
    .where(eq(own, userId))
    .orderBy(asc(follows.createdAt), asc(users.id));
}

async function collectArchive(env: Env, db: Db, job: ExportJob, now: Date): Promise<DataExportArchive> {
  // One D1 call: the reads of one batch see one state of the database.
  const [[user], followers, following, streams, events] = await db.batch([
    db.select().from(users).where(eq(users.id, job.userId)).limit(1),
    people(db, job.userId, "followers"),
    people(db, job.userId, "following"),
    db
      .select()
      .from(liveStreams)
      .where(eq(liveStreams.userId, job.userId))
      .orderBy(asc(liveStreams.startedAt)),
    db
      .select()
      .from(accountEvents)
      .where(eq(accountEvents.userId, job.userId))
      .orderBy(asc(accountEvents.id)),
  ]);
  if (!user) throw new Error("data export: the user row is gone");
  const photo = user.profilePhotoKey ? await env.MEDIA.get(user.profilePhotoKey) : null;
  const photoBytes = photo ? await photo.arrayBuffer() : null;
  const person = (row: { _id: string; username: string | null; followedAt: Date }) => ({
    ...row,
    followedAt: row.followedAt.toISOString(),
  });
  return {
    format: "profile-api.data-export",
    version: 1,
    exportId: job.exportId,
    generatedAt: now.toISOString(),
    user: toUser(user, env, job.requestUrl),
    consents: [
      { document: "privacyPolicy", accepted: user.privacyPolicyAccepted, version: user.privacyPolicyVersion },
      { document: "termsOfUse", accepted: user.termsOfUseAccepted, version: user.termsOfUseVersion },
      { document: "consentForm", accepted: user.consentFormAccepted, version: user.consentFormVersion },
    ],
    followers: followers.map(person),
    following: following.map(person),
    liveStreams: streams.map((stream) => ({
      _id: stream.id,
      title: stream.title,
      startedAt: stream.startedAt.toISOString(),
      endedAt: stream.endedAt?.toISOString() ?? null,
    })),
    accountEvents: events.map((event) => ({
      event: event.event,
      source: event.source,
      platform: event.platform,
      appVersion: event.appVersion,
      deviceId: event.deviceId,
      createdAt: event.createdAt.toISOString(),
    })),
    profilePhoto:
      photo && photoBytes && user.profilePhotoId
        ? {
            _id: user.profilePhotoId,
            contentType: photo.httpMetadata?.contentType ?? "application/octet-stream",
            byteLength: photoBytes.byteLength,
            base64: encodeBase64(photoBytes),
          }
        : null,
  };
}

export const archiveFileName = (exportId: string) => `data-export-${exportId}.json`;

/**
 * Builds the archive, stores it under the export's R2 key, then marks the export ready, only if it
 * is still the same export being built. An export deleted meanwhile (finalization, expiry) gets
 * its object deleted again, or queued in the outbox for the cron if R2 refuses.
 */
async function buildArchive(env: Env, db: Db, job: ExportJob): Promise<void> {
  const now = new Date();
  const bytes = new TextEncoder().encode(JSON.stringify(await collectArchive(env, db, job, now), null, 2));
  await env.MEDIA.put(job.objectKey, bytes, {
    httpMetadata: {
      contentType: "application/json; charset=utf-8",
      contentDisposition: `attachment; filename="${archiveFileName(job.exportId)}"`,
    },
  });
  const completed = await db
    .update(dataExports)
    .set({ status: "ready", sizeBytes: bytes.byteLength, completedAt: new Date() })
    .where(and(eq(dataExports.id, job.exportId), eq(dataExports.status, "building")))
    .returning({ id: dataExports.id });
  if (completed.length > 0) return;
  await env.MEDIA.delete(job.objectKey).catch(async (error: unknown) => {
    log("warn", "could not delete the archive of a deleted data export; queued", {
      exportId: job.exportId,
      error: errorFields(error).error,
    });
    await db
      .insert(mediaOutbox)
      .values({ key: job.objectKey, userId: job.userId, enqueuedAt: new Date(), attempts: 1 })
      .onConflictDoNothing();
  });
}

/**
 * The build as run off the request path (`waitUntil`). A failure marks the export failed, so the
 * user may start another at once; its object, if `put` stored one before failing, stays named by
 * the row and goes with it. A build that dies silently is reported failed after a timeout.
 */
export function runArchiveBuild(env: Env, db: Db, job: ExportJob): Promise<void> {
  return buildArchive(env, db, job).catch(async (error: unknown) => {
    log("error", "data export build failed", { exportId: job.exportId, ...errorFields(error) });
    await db
      .update(dataExports)
      .set({ status: "failed", completedAt: new Date() })
      .where(and(eq(dataExports.id, job.exportId), eq(dataExports.status, "building")));
  });
}
