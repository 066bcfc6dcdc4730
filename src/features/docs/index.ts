import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { ACCOUNT_EVENTS_TAG, registerAccountEventWebhooks } from "../../account-events/webhooks";
import type { AppEnv } from "../../lib/app-env";
import { clientHeaderParameters } from "../../lib/client-headers";
import { resolveDeferredSchemas } from "../../lib/deferred-schema";
import type { Feature } from "../../lib/lazy-router";
import { registerSharedComponents } from "../../lib/openapi-components";
import { documentServers } from "../../lib/public-api";
import { SECURITY_SCHEME } from "../../lib/route";

const DOCUMENT_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Profile and account lifecycle API",
    version: "1.0.0",
    description:
      "Profiles, photos, usernames, stats and account deletion of the live-streaming app. Every " +
      "response is an envelope `{ isSuccess, statusCode, data, errors, timestamp }`; `errors[0]` is the " +
      "status's generic message in the request's language (`Accept-Language`: en, tr). A known path called " +
      "with a method it does not have is 405 with `Allow`, in the same envelope.",
  },
  tags: [
    { name: "Health", description: "Liveness of the service (public)" },
    { name: "Users", description: "The signed-in user's profile and counts" },
    { name: "Profile", description: "Profile, username and photo changes of the signed-in user" },
    {
      name: "Account deletion",
      description: "Request, follow, cancel or finalize the deletion of the account",
    },
    {
      name: "Data export",
      description: "An archive of the user's data, downloaded through a signed link",
    },
    { name: "Admin", description: "Administration; role `admin` only" },
    { name: "Media", description: "Stored profile photos (public)" },
    ACCOUNT_EVENTS_TAG,
  ],
};

/**
 * The document as the app's registry used to hold it: every feature's routes under its base, in
 * order, then the shared components. Built on the first request for it, never at startup.
 */
async function buildDocument(features: readonly Feature[]) {
  const app = new OpenAPIHono<AppEnv>();
  for (const feature of features) app.route(feature.base, await feature.load());
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY_SCHEME, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "Paste the JWT access token without the Bearer prefix. Tokens are verified as RFC8725 recommends: " +
      "the algorithm is pinned by configuration, never taken from the token, `none` is refused, and `exp` " +
      "is required.",
  });
  for (const [name, schema] of Object.entries(clientHeaderParameters)) {
    app.openAPIRegistry.registerParameter(name, schema());
  }
  registerSharedComponents(app.openAPIRegistry);
  registerAccountEventWebhooks(app.openAPIRegistry);
  await resolveDeferredSchemas(app.openAPIRegistry.definitions);
  return app.getOpenAPI31Document(DOCUMENT_CONFIG);
}

/** Serves the document generated from `features` and the Swagger UI page. */
export function docsRouter(features: readonly Feature[]) {
  // Built on first use and kept for the isolate's life: the routes cannot change at run time.
  let document: ReturnType<typeof buildDocument> | undefined;
  const docs = new Hono<AppEnv>();
  docs.get("/openapi.json", async (c) => {
    document ??= buildDocument(features);
    return c.json({ ...(await document), servers: documentServers(c.env) });
  });
  // Browsers ask for it on every page; "no icon" rather than a 404 in their console.
  docs.get("/favicon.ico", (c) => c.body(null, 204, { "Cache-Control": "public, max-age=86400" }));
  // The page's assets are Static Assets of this Worker (public/docs-assets), so no CDN and no
  // inline script: the page works offline and under `script-src 'self'`.
  docs.get(
    "/docs",
    swaggerUI({
      url: "/openapi.json",
      title: "Profile API",
      baseUrl: "/docs-assets",
      manuallySwaggerUIHtml: (asset) =>
        [
          ...asset.css.map((href) => `<link rel="stylesheet" href="${href}" />`),
          '<div id="swagger-ui"></div>',
          ...asset.js.map((src) => `<script src="${src}"></script>`),
          '<script src="/docs-assets/init.js"></script>',
        ].join("\n"),
    }),
  );
  return docs;
}
