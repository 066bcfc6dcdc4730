// A D1 binding wrapped to see every round trip the Worker makes: a `batch()` is one, and so is each
// prepared statement run on its own (`all`, `run`, `raw`, `first`) or an `exec()`. Sessions made
// with `withSession()` are wrapped too, and each round trip says whether it went to a replica (a
// session that may start anywhere) or to the primary. Nothing is mocked: every call reaches the
// real binding. Plain TypeScript with no test imports, so the bench Worker bundles it as well.

export type D1Target = "primary" | "replica";
export type RoundTrip = { target: D1Target; kind: "batch" | "statement" };

/** Runs before each round trip reaches D1 (the bench waits there to simulate the network). */
export type RoundTripHook = (trip: RoundTrip) => void | Promise<void>;

const EXECUTING = new Set<PropertyKey>(["all", "run", "raw", "first"]);

/** Where a session's first query goes: only "first-primary" is sure to be the primary. */
function sessionTarget(constraint: unknown): D1Target {
  return constraint === "first-primary" ? "primary" : "replica";
}

type Queryable = Pick<D1Database, "prepare" | "batch">;

/** `d1` (the binding or one of its sessions) with `onRoundTrip` called before every round trip. */
export function observeD1<T extends Queryable>(
  d1: T,
  onRoundTrip: RoundTripHook,
  target: D1Target = "primary",
): T {
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const trip = async <R>(kind: RoundTrip["kind"], send: () => Promise<R>): Promise<R> => {
    await onRoundTrip({ target, kind });
    return send();
  };
  const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(real, property) {
        if (property === "bind") return (...values: unknown[]) => wrapStatement(real.bind(...values));
        const value = Reflect.get(real, property, real);
        if (typeof value !== "function") return value;
        if (EXECUTING.has(property)) {
          return (...args: unknown[]) => trip("statement", () => value.apply(real, args));
        }
        return value.bind(real);
      },
    });
    unwrap.set(proxy, statement);
    return proxy;
  };
  return new Proxy(d1, {
    get(real, property) {
      if (property === "prepare") return (query: string) => wrapStatement(real.prepare(query));
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) =>
          trip("batch", () => real.batch(statements.map((statement) => unwrap.get(statement) ?? statement)));
      }
      if (property === "exec") {
        return (query: string) => trip("statement", () => (real as unknown as D1Database).exec(query));
      }
      if (property === "withSession") {
        return (constraint?: string) =>
          observeD1(
            (real as unknown as D1Database).withSession(constraint),
            onRoundTrip,
            sessionTarget(constraint),
          );
      }
      const value = Reflect.get(real, property, real);
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
}

export type RoundTripCounts = { primary: number; replica: number; batches: number; readonly total: number };

/** `d1` wrapped to count round trips, by target and kind; `reset()` starts the counts again. */
export function countRoundTrips(d1: D1Database) {
  const counts: RoundTripCounts = {
    primary: 0,
    replica: 0,
    batches: 0,
    get total() {
      return this.primary + this.replica;
    },
  };
  const wrapped = observeD1(d1, ({ target, kind }) => {
    counts[target] += 1;
    if (kind === "batch") counts.batches += 1;
  });
  const reset = () => {
    counts.primary = 0;
    counts.replica = 0;
    counts.batches = 0;
  };
  return { d1: wrapped, counts, reset };
}
