import { env } from "cloudflare:workers";

// Fault injection by wrapping the real local bindings (R2, KV, Queues, Images): every call not
// named here goes through. D1's faults are test/d1-observer.ts's.

/** `target` with `methods` replaced; everything else is the real binding, bound to it. */
export function wrapped<T extends object>(
  target: T,
  methods: Record<string, (...args: never[]) => unknown>,
): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === "string" && Object.hasOwn(methods, property)) return methods[property];
      const value = Reflect.get(object, property);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/**
 * A binding whose listed methods fail (as an outage would): a rejected promise, or with "throws" a
 * synchronous throw; the rest pass through. `calls.count` counts the failed calls.
 */
export function failing<T extends object>(
  binding: T,
  methods: (keyof T & string)[],
  how: "rejects" | "throws" = "rejects",
  message = "simulated outage",
) {
  const calls = { count: 0 };
  const fail = () => {
    calls.count += 1;
    if (how === "throws") throw new Error(message);
    return Promise.reject(new Error(message));
  };
  return { binding: wrapped(binding, Object.fromEntries(methods.map((method) => [method, fail]))), calls };
}

type MediaFault = "put" | "put-after-storing" | "delete";

/**
 * env.MEDIA that records the keys of every put and delete and injects `faults`: "put" refuses
 * without storing, "put-after-storing" stores the object and then rejects (an ambiguous write),
 * "delete" refuses.
 */
export function recordingMedia(...faults: MediaFault[]) {
  const calls = { put: [] as string[], delete: [] as string[] };
  const real = env.MEDIA;
  const bucket = wrapped(real, {
    put: async (
      key: string,
      ...rest: Parameters<R2Bucket["put"]> extends [string, ...infer P] ? P : never
    ) => {
      calls.put.push(key);
      if (faults.includes("put")) throw new Error("simulated put failure");
      const stored = await real.put(key, ...rest);
      if (faults.includes("put-after-storing")) throw new Error("simulated put timeout after storing");
      return stored;
    },
    delete: async (keys: string | string[]) => {
      calls.delete.push(...(Array.isArray(keys) ? keys : [keys]));
      if (faults.includes("delete")) throw new Error("simulated delete failure");
      return real.delete(keys);
    },
  });
  return { bucket, calls };
}

/** env.IMAGES whose transforms, after the first `succeeding`, reject (an outage by default). */
export function failingImages(
  succeeding = 0,
  error: () => Error = () => new Error("simulated Images binding outage"),
) {
  let outputs = 0;
  const real = env.IMAGES;
  return wrapped(real, {
    input: (stream: ReadableStream<Uint8Array>, options?: ImageInputOptions) => {
      const transformer = real.input(stream, options);
      return wrapped(transformer, {
        transform: (transform: ImageTransform) => {
          const next = transformer.transform(transform);
          return wrapped(next, {
            output: (output: ImageOutputOptions) => {
              outputs += 1;
              return outputs > succeeding ? Promise.reject(error()) : next.output(output);
            },
          });
        },
      });
    },
  });
}
