import * as z from "zod";
import { envelopeOf } from "../../lib/envelope";
import { apiRoute } from "../../lib/route";

export const getHealth = apiRoute(
  {
    method: "get",
    path: "/health",
    tags: ["Health"],
    summary: "Servis durumu / Liveness",
    description: "Public. Answers without touching D1, R2 or KV.",
    responses: {
      200: {
        description: "The service is up",
        content: {
          "application/json": { schema: envelopeOf(z.object({ status: z.literal("ok") }).openapi("Health")) },
        },
      },
    },
  },
  { public: true },
);
