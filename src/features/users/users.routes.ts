import * as z from "zod";
import { deferSchema } from "../../lib/deferred-schema";
import { envelopeOf } from "../../lib/envelope";
import { notModifiedResponse } from "../../lib/http-cache";
import { apiRoute } from "../../lib/route";
import { UserSchema } from "../../users/user-view";

const count = (example: number) =>
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).openapi({ format: "int64", example });

// A response schema: built for the OpenAPI document only (src/lib/deferred-schema.ts).
export const StatsSchema = deferSchema(async () =>
  z
    .object({
      followersCount: count(3),
      followingCount: count(2),
      liveStreamsCount: count(4),
    })
    .openapi("UserStats"),
);

export const getMe = apiRoute({
  method: "get",
  path: "/users/me",
  operationId: "getMe",
  tags: ["Users"],
  summary: "Kendi profilini getir / Get own profile",
  description: "Giriş yapmış kullanıcının profilini döndürür. Returns the signed-in user's profile.",
  responses: {
    200: { description: "The user", content: { "application/json": { schema: envelopeOf(UserSchema) } } },
    ...notModifiedResponse,
  },
});

export const getMyStats = apiRoute(
  {
    method: "get",
    path: "/users/me/stats",
    operationId: "getMyStats",
    tags: ["Users"],
    summary: "Kendi istatistiklerini getir / Get own stats",
    description:
      "Giriş yapmış kullanıcının takipçi, takip edilen ve toplam canlı yayın sayısını döndürür. " +
      "Returns the signed-in user's followers, following and total live streams, read from one counters row.",
    responses: {
      200: {
        description: "The counts",
        content: { "application/json": { schema: envelopeOf(StatsSchema) } },
      },
      ...notModifiedResponse,
    },
  },
  // The counts and the account check are one statement.
  { authentication: "token" },
);
