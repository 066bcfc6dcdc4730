import { describe, expect, it } from "vitest";
import snapshot from "./fixtures/openapi.json?raw";
import { api } from "./helpers";

// The document is built on its first request, from routers loaded for it, with the response
// schemas deferred until then (src/lib/deferred-schema.ts). It must be exactly the document the
// routes describe: test/fixtures/openapi.json, which `npm run openapi:snapshot` regenerates after
// a deliberate change to the API's routes or schemas (review its diff as the API's diff).

describe("GET /openapi.json", () => {
  it("is byte for byte the committed document (npm run openapi:snapshot after a deliberate change)", async () => {
    const response = await api("/openapi.json");
    expect(response.status).toBe(200);
    const served = await response.text();
    // Compact, as served; the fixture is indented for review.
    expect(served).toBe(JSON.stringify(JSON.parse(snapshot)));
  });

  it("is the same document on a second request of the same isolate (built once, kept)", async () => {
    const [first, second] = await Promise.all([api("/openapi.json"), api("/openapi.json")]);
    expect(await second.text()).toBe(await first.text());
  });
});
