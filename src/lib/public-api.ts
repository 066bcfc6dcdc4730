import { settings } from "./settings";

// The servers the OpenAPI document offers. Development is the relative URL "/": the origin the docs
// page was loaded from (localhost, 127.0.0.1, a forwarded port, a staging host), so Try it out is
// same-origin and needs no CORS. Production is the PUBLIC_API_BASE_URL setting, never the request's
// Host header, which a client chooses.

/** The origin of PUBLIC_API_BASE_URL, or null when it is not set. */
export function productionOrigin(env: Env): string | null {
  return settings(env).PUBLIC_API_BASE_URL ?? null;
}

export function documentServers(env: Env) {
  const production = productionOrigin(env);
  return [
    { url: "/", description: "Development", "x-internal": true },
    ...(production ? [{ url: production, description: "Production", "x-internal": false }] : []),
  ];
}
