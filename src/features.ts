import type { Feature } from "./lib/lazy-router";

// Every feature's router and where it is mounted, in the order the OpenAPI document lists their
// paths. None is imported at startup: src/app.ts registers their routes from src/route-table.ts
// and loads a router on the first request that needs it (src/lib/lazy-router.ts).

const API_FEATURES = {
  health: { base: "/api/v1", load: async () => (await import("./features/health")).healthRouter },
  users: { base: "/api/v1", load: async () => (await import("./features/users")).usersRouter },
  profile: { base: "/api/v1", load: async () => (await import("./features/profile")).profileRouter },
  username: { base: "/api/v1", load: async () => (await import("./features/username")).usernameRouter },
  photo: { base: "/api/v1", load: async () => (await import("./features/photo")).photoRouter },
  accountDeletion: {
    base: "/api/v1",
    load: async () => (await import("./features/account-deletion")).accountDeletionRouter,
  },
  dataExport: {
    base: "/api/v1",
    load: async () => (await import("./features/data-export")).dataExportRouter,
  },
  featureFlags: {
    base: "/api/v1",
    load: async () => (await import("./features/feature-flags")).featureFlagsRouter,
  },
  // Outside /api: no client headers and no D1 session.
  media: { base: "/", load: async () => (await import("./features/media")).mediaRouter },
} satisfies Record<string, Feature>;

export const FEATURES = {
  ...API_FEATURES,
  // The document and its page: built from the other features' routers when first asked for.
  docs: {
    base: "/",
    load: async () => (await import("./features/docs")).docsRouter(Object.values(API_FEATURES)),
  },
} satisfies Record<string, Feature>;

export type FeatureName = keyof typeof FEATURES;
