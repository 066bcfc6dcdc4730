import * as z from "zod";
import { envelopeOf } from "../../lib/envelope";
import { notModifiedResponse } from "../../lib/http-cache";
import { apiRoute } from "../../lib/route";
import { UserSchema } from "./user.schema";

export const StatsSchema = z
  .object({
    followersCount: z.number().int().nonnegative().openapi({ example: 3 }),
    followingCount: z.number().int().nonnegative().openapi({ example: 2 }),
    liveStreamsCount: z.number().int().nonnegative().openapi({ example: 4 }),
  })
  .openapi("UserStats");

export const getMe = apiRoute({
  method: "get",
  path: "/users/me",
  tags: ["Users"],
  summary: "Kendi profilini getir / Get own profile",
  description: "Giriş yapmış kullanıcının profilini döndürür. Returns the signed-in user's profile.",
  responses: {
    200: { description: "The user", content: { "application/json": { schema: envelopeOf(UserSchema) } } },
    ...notModifiedResponse,
  },
});

export const getMyStats = apiRoute({
  method: "get",
  path: "/users/me/stats",
  tags: ["Users"],
  summary: "Kendi istatistiklerini getir / Get own stats",
  description:
    "Giriş yapmış kullanıcının takipçi, takip edilen ve toplam canlı yayın sayısını döndürür. " +
    "Returns the signed-in user's followers, following and total live streams, read from one counters row.",
  responses: {
    200: { description: "The counts", content: { "application/json": { schema: envelopeOf(StatsSchema) } } },
    ...notModifiedResponse,
  },
});
