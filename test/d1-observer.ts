// The one way the tests (and the bench Worker) look inside D1: a real binding wrapped so that every
// round trip is counted (a `batch()` is one, and so is each prepared statement run on its own with
// `all`, `run`, `raw`, `first`, or an `exec()`), with the rows D1 says it read and wrote (`meta`),
// and so that chosen faults happen on it. Sessions made with `withSession()` are wrapped too, and
// each round trip says whether it went to a replica (a session that may start anywhere) or to the
// primary. Nothing is mocked: every call that is not a fault reaches the real binding. Plain
// TypeScript with no test imports, so the bench Worker bundles it as well.

export type D1Target = "primary" | "replica";

/** A prepared statement as sent: its SQL and its bound values. */
export type SentStatement = { sql: string; values: readonly unknown[] };

export type RoundTrip = {
  target: D1Target;
  kind: "batch" | "statement";
  sql: string[];
  /** From D1's `meta`; 0 for `raw()` and `first()` (no `meta`) unless `meterSelects` is set. */
  rowsRead: number;
  rowsWritten: number;
};

/** Runs before each round trip reaches D1 (the bench waits there to simulate the network). */
export type RoundTripHook = (trip: RoundTrip) => void | Promise<void>;

/**
 * Faults of the wrapped binding and of its sessions. `n` numbers the batches from 1, over the
 * binding and every session it opened.
 */
export type D1Faults = {
  /** D1 cannot be reached: opening a session, preparing, a batch and an exec all throw. */
  unavailable?: boolean;
  /** Preparing a statement with this SQL throws. */
  failPrepare?: (sql: string) => boolean;
  /** Running a statement with this SQL on its own (`all`, `run`, `raw`, `first`) rejects. */
  failStatement?: (sql: string) => boolean;
  /** The batch is refused before it reaches D1. */
  failBatch?: (n: number, statements: readonly SentStatement[]) => boolean;
  /**
   * The batch reaches D1 with a statement D1 refuses inserted at this index, so that D1 itself
   * runs its first statements and rolls them back (undefined: the batch is sent as it is).
   */
  breakBatchAt?: (n: number, statements: readonly SentStatement[]) => number | undefined;
  /** The batch commits, then the call reports a failure (a connection lost after the commit). */
  failAfterCommit?: (n: number) => boolean;
  /** The message of every injected failure, instead of one that says which fault it is. */
  message?: string;
};

export type D1Counts = {
  primary: number;
  replica: number;
  batches: number;
  statements: number;
  rowsRead: number;
  rowsWritten: number;
  readonly total: number;
};

type Observer = {
  beforeRoundTrip?: RoundTripHook;
  afterRoundTrip?: (trip: RoundTrip) => void;
  faults: D1Faults;
  /** Re-runs a SELECT sent with `raw()` or `first()` through `all()`, uncounted, for its `meta`. */
  meterSelects: boolean;
  batches: number;
  /** The constraint or bookmark of each session opened, "(none)" for none. */
  sessions?: string[];
};

type Queryable = Pick<D1Database, "prepare" | "batch">;
type Meta = { rows_read?: number; rows_written?: number };

const EXECUTING = new Set<PropertyKey>(["all", "run", "raw", "first"]);
const NO_META = new Set<PropertyKey>(["raw", "first"]);
/** A statement D1 accepts to prepare and refuses to run. */
const REFUSED_SQL = "SELECT json('{')";

/** Where a session's first query goes: only "first-primary" is sure to be the primary. */
function sessionTarget(constraint: unknown): D1Target {
  return constraint === "first-primary" ? "primary" : "replica";
}

function rowsOf(results: readonly { meta?: unknown }[]) {
  const metas = results.map((result) => (result?.meta ?? {}) as Meta);
  return {
    rowsRead: metas.reduce((sum, meta) => sum + (meta.rows_read ?? 0), 0),
    rowsWritten: metas.reduce((sum, meta) => sum + (meta.rows_written ?? 0), 0),
  };
}

function wrapD1<T extends Queryable>(d1: T, observer: Observer, target: D1Target): T {
  const sent = new WeakMap<object, { real: D1PreparedStatement } & SentStatement>();
  const { faults } = observer;
  const fault = (what: string) => new Error(faults.message ?? `simulated D1 failure: ${what}`);

  const trip = async <R>(
    kind: RoundTrip["kind"],
    sql: string[],
    send: () => Promise<R>,
    rows: (
      result: R,
    ) => Promise<Pick<RoundTrip, "rowsRead" | "rowsWritten">> | Pick<RoundTrip, "rowsRead" | "rowsWritten">,
  ): Promise<R> => {
    const record: RoundTrip = { target, kind, sql, rowsRead: 0, rowsWritten: 0 };
    await observer.beforeRoundTrip?.(record);
    const result = await send();
    Object.assign(record, await rows(result));
    observer.afterRoundTrip?.(record);
    return result;
  };

  const wrapStatement = (real: D1PreparedStatement, sql: string, values: unknown[]): D1PreparedStatement => {
    const proxy = new Proxy(real, {
      get(statement, property) {
        if (property === "bind") {
          return (...bound: unknown[]) => wrapStatement(statement.bind(...bound), sql, bound);
        }
        const value = Reflect.get(statement, property, statement);
        if (typeof value !== "function") return value;
        if (!EXECUTING.has(property)) return value.bind(statement);
        const metered = NO_META.has(property) && observer.meterSelects && /^\s*select/i.test(sql);
        return (...args: unknown[]) =>
          trip(
            "statement",
            [sql],
            async () => {
              if (faults.failStatement?.(sql)) throw fault("statement");
              return value.apply(statement, args) as Promise<unknown>;
            },
            async (result) => {
              if (metered) return rowsOf([await statement.all()]);
              return NO_META.has(property) ? { rowsRead: 0, rowsWritten: 0 } : rowsOf([result as D1Result]);
            },
          );
      },
    });
    sent.set(proxy, { real, sql, values });
    return proxy;
  };

  const batch = (real: T, statements: D1PreparedStatement[]) => {
    observer.batches += 1;
    const n = observer.batches;
    const list = statements.map(
      (statement) => sent.get(statement) ?? { real: statement, sql: "?", values: [] as unknown[] },
    );
    return trip(
      "batch",
      list.map((statement) => statement.sql),
      async () => {
        if (faults.unavailable || faults.failBatch?.(n, list)) throw fault("batch");
        const reals = list.map((statement) => statement.real);
        const at = faults.breakBatchAt?.(n, list);
        if (at !== undefined) reals.splice(at, 0, real.prepare(REFUSED_SQL));
        const results = await real.batch(reals);
        if (faults.failAfterCommit?.(n)) throw fault("connection reset after the commit");
        return results;
      },
      rowsOf,
    );
  };

  return new Proxy(d1, {
    get(real, property) {
      if (property === "prepare") {
        return (sql: string) => {
          if (faults.unavailable || faults.failPrepare?.(sql)) throw fault("prepare");
          return wrapStatement(real.prepare(sql), sql, []);
        };
      }
      if (property === "batch") return (statements: D1PreparedStatement[]) => batch(real, statements);
      if (property === "exec") {
        return (sql: string) =>
          trip(
            "statement",
            [sql],
            async () => {
              if (faults.unavailable) throw fault("exec");
              return (real as unknown as D1Database).exec(sql);
            },
            () => ({ rowsRead: 0, rowsWritten: 0 }),
          );
      }
      if (property === "withSession") {
        return (constraint?: D1SessionConstraint | D1SessionBookmark) => {
          if (faults.unavailable) throw fault("session");
          observer.sessions?.push(typeof constraint === "string" ? constraint : "(none)");
          return wrapD1(
            (real as unknown as D1Database).withSession(constraint),
            observer,
            sessionTarget(constraint),
          );
        };
      }
      const value = Reflect.get(real, property, real);
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
}

/**
 * `d1` (a binding) wrapped to count its round trips and their rows, and to inject `faults`:
 * `d1` goes where the Worker's binding went; `counts`, `trips` and `sessions` (the constraint or
 * bookmark each was opened with) say what happened since the start or the last `reset()`.
 */
export function watchD1(d1: D1Database, options: { faults?: D1Faults; meterSelects?: boolean } = {}) {
  const counts: D1Counts = {
    primary: 0,
    replica: 0,
    batches: 0,
    statements: 0,
    rowsRead: 0,
    rowsWritten: 0,
    get total() {
      return this.primary + this.replica;
    },
  };
  const trips: RoundTrip[] = [];
  const sessions: string[] = [];
  const observer: Observer = {
    faults: options.faults ?? {},
    meterSelects: options.meterSelects ?? false,
    batches: 0,
    sessions,
    beforeRoundTrip: (trip) => {
      counts[trip.target] += 1;
      counts[trip.kind === "batch" ? "batches" : "statements"] += 1;
      trips.push(trip);
    },
    afterRoundTrip: (trip) => {
      counts.rowsRead += trip.rowsRead;
      counts.rowsWritten += trip.rowsWritten;
    },
  };
  const reset = () => {
    for (const key of ["primary", "replica", "batches", "statements", "rowsRead", "rowsWritten"] as const) {
      counts[key] = 0;
    }
    trips.length = 0;
    sessions.length = 0;
  };
  return { d1: wrapD1(d1, observer, "primary"), counts, trips, sessions, reset };
}

/** `d1` with `beforeRoundTrip` awaited before every round trip, and nothing recorded (the bench's delays). */
export function observeD1<T extends Queryable>(d1: T, beforeRoundTrip: RoundTripHook): T {
  return wrapD1(d1, { beforeRoundTrip, faults: {}, meterSelects: false, batches: 0 }, "primary");
}
