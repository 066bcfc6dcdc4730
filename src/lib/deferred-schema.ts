// Schemas that only the OpenAPI document reads (the responses', with their examples and metadata)
// are built when the document is generated, never at startup or for a request: requests never
// parse a response. A deferred schema is typed as the schema it builds, so route configs, handler
// and client types are unchanged; the docs feature resolves them all before generating. Builders
// are async, so one may import what only the document needs.

const BUILD = Symbol("build deferred schema");
type Deferred = { [BUILD]: () => Promise<unknown> };

const isDeferred = (value: unknown): value is Deferred =>
  typeof value === "object" && value !== null && BUILD in value;

/** `build()` on first call, then the same value. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/** A schema built on first use by the document, once (so every route shares one component). */
export function deferSchema<T>(build: () => Promise<T>): T {
  const deferred: Deferred = { [BUILD]: once(build) };
  return deferred as T;
}

/** The schema itself: for use inside another deferred schema's builder (`data: await resolveSchema(data)`). */
export async function resolveSchema<T>(schema: T): Promise<T> {
  return isDeferred(schema) ? ((await schema[BUILD]()) as T) : schema;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * Replaces, in place, every deferred schema inside plain objects and arrays (a route's config, a
 * webhook's) with the schema it builds. Zod schemas are not entered: none is built from a
 * deferred one except through `resolveSchema`.
 */
export async function resolveDeferredSchemas(value: unknown): Promise<void> {
  const resolved = async (item: unknown) => {
    if (isDeferred(item)) return item[BUILD]();
    await resolveDeferredSchemas(item);
    return item;
  };
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) value[index] = await resolved(item);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) value[key] = await resolved(item);
  }
}
