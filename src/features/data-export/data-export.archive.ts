import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import { encodeBase64 } from "hono/utils/encode";
import * as z from "zod";
import "@hono/zod-openapi";
import type { Db } from "../../db/client";
import { usernames } from "../../db/directory-schema";
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
import type { Job } from "../../jobs/messages";
import { deferSchema, resolveSchema } from "../../lib/deferred-schema";
import { errorFields, log } from "../../lib/log";
import { directoryOf } from "../../users/directory";
import { toUser, UserSchema } from "../../users/user-view";
import { ArchiveWriter } from "./archive-writer";

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

/** What one build needs to know (a `build-export` job); `requestUrl` locates the media route. */
export type ExportJob = Omit<Job<"build-export">, "kind">;

// Rows read per D1 call while the archive is written: pages, so memory does not grow with the account.
const PAGE = 500;

type Person = { _id: string; username: string | null; followedAt: string };

/** The applied usernames of `userIds`, from the directory (one bound JSON array, not 500 parameters). */
async function usernamesOf(directory: Db, userIds: string[]): Promise<Map<string, string>> {
  const rows = await directory
    .select({ userId: usernames.userId, username: usernames.username })
    .from(usernames)
    .where(
      and(
        sql`${usernames.userId} IN (SELECT value FROM json_each(${JSON.stringify(userIds)}))`,
        isNull(usernames.pendingSince),
      ),
    );
  return new Map(rows.map((row) => [row.userId, row.username]));
}

/**
 * The user's followers, or the people the user follows, with their usernames, a page at a time
 * in id order (keyset: each page starts where the last ended, read from the edge's own index).
 * The edges are all on the user's own shard; the other people's usernames come from the
 * directory (they may live on any shard), one read a page. A finalized account's is null.
 */
async function* people(
  db: Db,
  directory: Db,
  userId: string,
  direction: "followers" | "following",
): AsyncGenerator<Person[]> {
  const [own, other] =
    direction === "followers"
      ? [follows.followeeId, follows.followerId]
      : [follows.followerId, follows.followeeId];
  let after = "";
  for (;;) {
    const rows = await db
      .select({ _id: other, followedAt: follows.createdAt })
      .from(follows)
      .where(and(eq(own, userId), gt(other, after)))
      .orderBy(asc(other))
      .limit(PAGE);
    if (rows.length > 0) {
      const names = await usernamesOf(
        directory,
        rows.map((row) => row._id),
      );
      yield rows.map((row) => ({
        _id: row._id,
        username: names.get(row._id) ?? null,
        followedAt: row.followedAt.toISOString(),
      }));
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)?._id ?? after;
  }
}

/** A user's rows of a table with a rowid, a page at a time in rowid order. */
async function* rowsByRowid<Row>(
  page: (afterRowid: number) => Promise<(Row & { rowid: number })[]>,
): AsyncGenerator<Row[]> {
  let after = 0;
  for (;;) {
    const rows = await page(after);
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    after = rows.at(-1)?.rowid ?? after;
  }
}

const rowid = sql<number>`rowid`;

function streams(db: Db, userId: string) {
  return rowsByRowid((after) =>
    db
      .select({
        rowid,
        id: liveStreams.id,
        title: liveStreams.title,
        startedAt: liveStreams.startedAt,
        endedAt: liveStreams.endedAt,
      })
      .from(liveStreams)
      .where(and(eq(liveStreams.userId, userId), sql`rowid > ${after}`))
      .orderBy(rowid)
      .limit(PAGE),
  );
}

function events(db: Db, userId: string) {
  return rowsByRowid((after) =>
    db
      .select({ rowid: sql<number>`${accountEvents.id}`, event: accountEvents })
      .from(accountEvents)
      .where(and(eq(accountEvents.userId, userId), gt(accountEvents.id, after)))
      .orderBy(asc(accountEvents.id))
      .limit(PAGE),
  );
}

/** Writes `items` as the elements of a JSON array, page by page. */
async function writeArray<T>(out: ArchiveWriter, pages: AsyncIterable<T[]>, element: (item: T) => unknown) {
  await out.write("[");
  let first = true;
  for await (const page of pages) {
    const text = page.map((item) => JSON.stringify(element(item))).join(",");
    await out.write(first ? text : `,${text}`);
    first = false;
  }
  await out.write("]");
}

/**
 * Writes the archive (DataExportArchive, field by field in its order) to `out`, reading the lists
 * page by page: the Worker holds one page and one upload part at a time, whatever the account.
 */
async function writeArchive(env: Env, db: Db, job: ExportJob, out: ArchiveWriter, now: Date): Promise<void> {
  const [user] = await db.select().from(users).where(eq(users.id, job.userId)).limit(1);
  if (!user) throw new Error("data export: the user row is gone");
  const head: Pick<
    DataExportArchive,
    "format" | "version" | "exportId" | "generatedAt" | "user" | "consents"
  > = {
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
  };
  await out.write(`${JSON.stringify(head).slice(0, -1)},"followers":`);
  await writeArray(out, people(db, directoryOf(env), job.userId, "followers"), (person) => person);
  await out.write(',"following":');
  await writeArray(out, people(db, directoryOf(env), job.userId, "following"), (person) => person);
  await out.write(',"liveStreams":');
  await writeArray(out, streams(db, job.userId), (stream) => ({
    _id: stream.id,
    title: stream.title,
    startedAt: stream.startedAt.toISOString(),
    endedAt: stream.endedAt?.toISOString() ?? null,
  }));
  await out.write(',"accountEvents":');
  await writeArray(out, events(db, job.userId), ({ event }) => ({
    event: event.event,
    source: event.source,
    platform: event.platform,
    appVersion: event.appVersion,
    deviceId: event.deviceId,
    createdAt: event.createdAt.toISOString(),
  }));
  const photo = user.profilePhotoKey ? await env.MEDIA.get(user.profilePhotoKey) : null;
  const photoBytes = photo ? await photo.arrayBuffer() : null;
  const profilePhoto: DataExportArchive["profilePhoto"] =
    photo && photoBytes && user.profilePhotoId
      ? {
          _id: user.profilePhotoId,
          contentType: photo.httpMetadata?.contentType ?? "application/octet-stream",
          byteLength: photoBytes.byteLength,
          base64: encodeBase64(photoBytes),
        }
      : null;
  await out.write(`,"profilePhoto":${JSON.stringify(profilePhoto)}}`);
}

export const archiveFileName = (exportId: string) => `data-export-${exportId}.json`;

const isBuilding = (exportId: string) =>
  and(eq(dataExports.id, exportId), eq(dataExports.status, "building"));

/** Deletes what a build stored for an export whose row is gone (finalization, expiry). */
async function discardArchive(env: Env, db: Db, job: ExportJob): Promise<void> {
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
 * A `build-export` job: streams the archive to its R2 key, then marks the export ready, only if
 * it is still the same export being built. Whether it succeeded or failed, a build whose row is
 * gone by then (the account was finalized meanwhile) deletes what it may have stored, so no
 * archive outlives its account. A failure with the row still there rejects: the queue retries the
 * build, and once it is dead-lettered the export is marked failed.
 */
export async function buildExport(env: Env, db: Db, job: ExportJob): Promise<void> {
  const [row] = await db.select({ id: dataExports.id }).from(dataExports).where(isBuilding(job.exportId));
  if (!row) return;
  const out = new ArchiveWriter(env.MEDIA, job.objectKey, {
    httpMetadata: {
      contentType: "application/json; charset=utf-8",
      contentDisposition: `attachment; filename="${archiveFileName(job.exportId)}"`,
    },
  });
  const stored = await writeArchive(env, db, job, out, new Date())
    .then(() => out.finish())
    .then(
      () => null,
      async (error: unknown) => {
        await out.abort().catch(() => undefined);
        return error;
      },
    );
  const completed = stored
    ? []
    : await db
        .update(dataExports)
        .set({ status: "ready", sizeBytes: out.size, completedAt: new Date() })
        .where(isBuilding(job.exportId))
        .returning({ id: dataExports.id });
  if (completed.length > 0) return;
  const [still] = await db
    .select({ id: dataExports.id })
    .from(dataExports)
    .where(eq(dataExports.id, job.exportId));
  if (!still) await discardArchive(env, db, job);
  if (stored) throw stored;
}

/** A build the queue gave up on: the person sees "failed" and may ask again. */
export async function markExportFailed(db: Db, exportId: string): Promise<void> {
  await db.update(dataExports).set({ status: "failed", completedAt: new Date() }).where(isBuilding(exportId));
}
