// Schemas that only the OpenAPI document reads (the responses', with their examples and metadata)
// are built when the document is generated, never at startup or for a request: requests never
// parse a response. A deferred schema is typed as the schema it builds, so route configs, handler
// and client types are unchanged; the docs feature resolves them all before generating.

const BUILD = Symbol("build deferred schema");
type Deferred = { [BUILD]: () => unknown };

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
export function deferSchema<T>(build: () => T): T {
  const deferred: Deferred = { [BUILD]: once(build) };
  return deferred as T;
}

/** The schema itself: for use inside another deferred schema's builder (`data: resolveSchema(data)`). */
export function resolveSchema<T>(schema: T): T {
  return isDeferred(schema) ? (schema[BUILD]() as T) : schema;
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
export function resolveDeferredSchemas(value: unknown): void {
  const resolved = (item: unknown) => {
    if (isDeferred(item)) return item[BUILD]();
    resolveDeferredSchemas(item);
    return item;
  };
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) value[index] = resolved(item);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) value[key] = resolved(item);
  }
}
