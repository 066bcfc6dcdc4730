// Shared helpers of the local development scripts (dev, seed, dev-user): running wrangler from
// node_modules (so the project's Node 22 runs it), reading .dev.vars, and building SQL safely.
import { spawn } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const WRANGLER = join(
  ROOT,
  "node_modules",
  ".bin",
  process.platform === "win32" ? "wrangler.cmd" : "wrangler",
);
/** The D1 databases of wrangler.toml ([[d1_databases]]): binding and database_id, in order. */
export function localDatabases() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  return [...toml.matchAll(/\[\[d1_databases\]\]([\s\S]*?)(?=\n\[|$)/g)].map(([, block]) => ({
    binding: /binding\s*=\s*"([^"]+)"/.exec(block)?.[1],
    databaseId: /database_id\s*=\s*"([^"]+)"/.exec(block)?.[1],
  }));
}
/** The users' shards (USERS_0, USERS_1…) in wrangler.toml, in order. */
export const localShards = () =>
  localDatabases()
    .map((database) => database.binding)
    .filter((binding) => /^USERS_\d+$/.test(binding ?? ""));
export const DIRECTORY = "DIRECTORY";
/** The first shard: where a script that needs any one database looks. */
export const DB = "USERS_0";
/** Where `npm run dev` has wrangler write its log (the Worker's log lines too): dev:cron reads it. */
export const DEV_LOG_DIR = join(ROOT, ".wrangler", "logs");
/** One file per running `npm run dev` of this folder, named by its port, holding its pid. */
const DEV_SERVERS_DIR = join(ROOT, ".wrangler", "dev-servers");

export const DEFAULT_PORT = 8787;

/** The log file of the `npm run dev` serving `port` (one per port, so two servers never mix). */
export function devLogFile(port) {
  return join(DEV_LOG_DIR, `dev-${port}.log`);
}

function parsePort(text, from) {
  if (!/^\d{1,5}$/.test(text ?? "") || Number(text) < 1 || Number(text) > 65535)
    throw new Error(`${from} must be a port number from 1 to 65535, not "${text}"`);
  return Number(text);
}

/**
 * The port a script was pointed at: `--port N` (or `--port=N`) among `argv`, else the PORT
 * environment variable; undefined when neither is given. `rest` is `argv` without the option.
 */
export function pointedPort(argv) {
  const rest = [];
  let port;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--port") {
      port = parsePort(argv[i + 1], "--port");
      i++;
    } else if (arg.startsWith("--port=")) port = parsePort(arg.slice("--port=".length), "--port");
    else rest.push(arg);
  }
  if (port === undefined && process.env.PORT) port = parsePort(process.env.PORT, "PORT");
  return { port, rest };
}

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** Records that `npm run dev` (this process) serves `port`; the returned function forgets it. */
export function recordDevServer(port) {
  mkdirSync(DEV_SERVERS_DIR, { recursive: true });
  const file = join(DEV_SERVERS_DIR, `${port}.json`);
  writeFileSync(file, `${JSON.stringify({ port, pid: process.pid, root: ROOT })}\n`);
  return () => rmSync(file, { force: true });
}

/** The ports of the `npm run dev` servers of this folder that are still running. */
export function runningDevServers() {
  let names = [];
  try {
    names = readdirSync(DEV_SERVERS_DIR).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const { port, pid } = JSON.parse(readFileSync(join(DEV_SERVERS_DIR, name), "utf8"));
      return isRunning(pid) ? [port] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The server a script acts on: the port it was pointed at (`--port`, `PORT`), else the one
 * `npm run dev` of this folder runs on. Never a guess: a server on 8787 that this folder did not
 * start (another checkout, another project) is left alone unless pointed at.
 */
export function targetPort(argv) {
  const { port, rest } = pointedPort(argv);
  if (port !== undefined) return { port, rest };
  const running = runningDevServers();
  if (running.length === 1) return { port: running[0], rest };
  if (running.length === 0)
    throw new Error(
      "no `npm run dev` of this folder is running: start it, or point at a server with --port N or PORT=N",
    );
  throw new Error(
    `several \`npm run dev\` of this folder are running (ports ${running.join(", ")}): choose one with --port N`,
  );
}

/**
 * The environment for wrangler: node_modules/.bin first on PATH, so its `#!/usr/bin/env node` finds
 * the project's Node 22 (the node@22 devDependency) even when a script was started without npm.
 */
export function wranglerEnv(extra = {}) {
  const binDir = join(ROOT, "node_modules", ".bin");
  return { ...process.env, PATH: [binDir, process.env.PATH].filter(Boolean).join(delimiter), ...extra };
}

/** Progress messages go to stderr, so a script's stdout stays machine-readable. */
export function info(message) {
  process.stderr.write(`${message}\n`);
}

/**
 * Runs a non-interactive wrangler command (stdin closed, CI=true, so a confirmation prompt takes
 * its default instead of waiting). Its stdout is returned when `capture` is set, otherwise it is
 * written to our stderr; its stderr is always passed through. Rejects on a non-zero exit.
 */
export function runWrangler(args, { capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(WRANGLER, args, {
      cwd: ROOT,
      env: wranglerEnv({ CI: "true" }),
      stdio: ["ignore", capture ? "pipe" : 2, "inherit"],
    });
    let stdout = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve(stdout);
      else {
        const error = new Error(
          `wrangler ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`})`,
        );
        error.stdout = stdout;
        reject(error);
      }
    });
  });
}

/** Applies the directory's migrations and every shard's (wrangler.toml), `--local` or `--remote`. */
export async function applyMigrations(where = "--local") {
  for (const binding of [DIRECTORY, ...localShards()]) {
    await runWrangler(["d1", "migrations", "apply", binding, where]);
  }
}

export const applyLocalMigrations = () => applyMigrations("--local");

/**
 * Runs SQL statements (separated by `;`) against the local D1 and returns one array of rows per
 * statement. Works while `wrangler dev` is running: both use the same .wrangler/state.
 */
export function queryLocal(sql, binding = DB) {
  return executeLocal(binding, ["--command", sql]);
}

/** Runs a longer SQL script against the local D1 through a temporary file; returns as queryLocal. */
export async function executeLocalFile(sql, binding = DB) {
  const dir = mkdtempSync(join(tmpdir(), "profile-api-sql-"));
  const file = join(dir, "script.sql");
  writeFileSync(file, sql);
  try {
    return await executeLocal(binding, ["--file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function executeLocal(binding, args) {
  let stdout;
  try {
    stdout = await runWrangler(["d1", "execute", binding, "--local", "--json", ...args], { capture: true });
  } catch (error) {
    // With --json, wrangler reports a failed statement on stdout as {"error":{"text":...}}.
    const text = parseJson(error.stdout)?.error?.text;
    throw text ? new Error(`D1: ${text}`) : error;
  }
  const results = parseJson(stdout);
  if (!Array.isArray(results)) throw new Error(`unexpected wrangler output: ${stdout}`);
  return results.map((result) => result.results ?? []);
}

function parseJson(text) {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}

const DEV_VARS = join(ROOT, ".dev.vars");
const DEV_VARS_EXAMPLE = join(ROOT, ".dev.vars.example");

/**
 * Creates .dev.vars from .dev.vars.example when it is missing, and adds to an older one the
 * settings the example has gained since (a new secret, say), with the example's values.
 */
export function ensureDevVars() {
  if (!existsSync(DEV_VARS)) {
    copyFileSync(DEV_VARS_EXAMPLE, DEV_VARS);
    info("Created .dev.vars from .dev.vars.example");
    return;
  }
  const names = (text) =>
    new Set([...text.matchAll(/^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=/gm)].map((m) => m[1]));
  const present = names(readFileSync(DEV_VARS, "utf8"));
  const missing = readFileSync(DEV_VARS_EXAMPLE, "utf8")
    .split(/\r?\n/)
    .filter((line) => [...names(line)].some((name) => !present.has(name)));
  if (missing.length === 0) return;
  appendFileSync(DEV_VARS, `\n${missing.join("\n")}\n`);
  info(`Added to .dev.vars from .dev.vars.example: ${missing.map((line) => line.split("=")[0]).join(", ")}`);
}

/** The KEY=value pairs of .dev.vars (dotenv syntax, read by Node's own parser). */
export function readDevVars() {
  ensureDevVars();
  return parseEnv(readFileSync(DEV_VARS, "utf8"));
}

/** Epoch milliseconds of an ISO 8601 time: the storage of every timestamp_ms column. */
export function ms(iso) {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw new Error(`not a date: ${iso}`);
  return time;
}

/**
 * One SQL literal: strings single-quoted with quotes doubled, booleans 0/1, arrays and objects as
 * JSON text (the json columns), null/undefined as NULL. Only finite numbers pass unquoted.
 */
export function sqlValue(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (value instanceof Date) return String(value.getTime());
  if (typeof value === "object") return sqlString(JSON.stringify(value));
  return sqlString(String(value));
}

function sqlString(text) {
  // SQLite strings have no backslash escapes: a doubled quote is the only one. NUL ends a string.
  if (text.includes("\0")) throw new Error("NUL character in SQL value");
  return `'${text.replaceAll("'", "''")}'`;
}

/** A column or table name, checked rather than quoted: the names come from our own code. */
export function sqlName(name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad SQL name: ${name}`);
  return `\`${name}\``;
}

/** `INSERT OR IGNORE INTO table (...) VALUES (...);` for one row object keyed by column name. */
export function insertOrIgnore(table, row) {
  const columns = Object.keys(row);
  return `INSERT OR IGNORE INTO ${sqlName(table)} (${columns.map(sqlName).join(", ")}) VALUES (${columns
    .map((column) => sqlValue(row[column]))
    .join(", ")});`;
}

/** Rejects when something already listens on `port` (any interface), before any slow set-up. */
export function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} is already in use: choose another with --port N or PORT=N`)
          : error,
      ),
    );
    server.listen(port, () => server.close(() => resolve()));
  });
}

/** A port nothing listens on now, chosen by the system. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
