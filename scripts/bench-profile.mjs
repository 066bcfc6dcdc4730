// `npm run bench:profile -- [path]`: a CPU profile of the built Worker under load, through the
// workerd inspector, summarised as self time per function (and written as a .cpuprofile for a
// flame graph in Chrome DevTools). Use it to find out why a route misses its goal in `npm run bench`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { build, OUT, startBuiltWorker, tokenFor } from "./bench-worker.mjs";

const PATH = process.argv[2] ?? "/api/v1/users/me";
const INSPECTOR_PORT = 9239;
const USER_ID = "aa0000000000000000000001";

mkdirSync(OUT, { recursive: true });
// Unminified, so the profile names real functions.
build("worker-profile", [], ["--minify=false"]);
const { mf, url, addUsers } = await startBuiltWorker(join(OUT, "worker-profile/index.js"), {
  inspectorPort: INSPECTOR_PORT,
});
await addUsers([{ id: USER_ID, username: "profiled", email: "profiled@example.com" }]);

// The inspector speaks the Chrome DevTools protocol over a WebSocket per worker.
const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
const target = targets.find((t) => t.title?.includes("api")) ?? targets[0];
const socket = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
let nextId = 0;
const pending = new Map();
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  pending.get(message.id)?.(message.result);
});
const send = (method, params = {}) =>
  new Promise((resolve) => {
    nextId += 1;
    pending.set(nextId, resolve);
    socket.send(JSON.stringify({ id: nextId, method, params }));
  });

const headers = { authorization: `Bearer ${await tokenFor(USER_ID)}` };
await autocannon({ url: `${url}${PATH}`, headers, connections: 10, duration: 2 }); // warm up
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const load = await autocannon({ url: `${url}${PATH}`, headers, connections: 10, duration: 5 });
const { profile } = await send("Profiler.stop");
socket.close();
await mf.dispose();

writeFileSync(join(OUT, "requests.cpuprofile"), JSON.stringify(profile));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
for (let i = 0; i < profile.samples.length; i += 1) {
  const node = byId.get(profile.samples[i]);
  const frame = node.callFrame;
  const file = frame.url.replace(/^.*node_modules\//, "").replace(/^.*worker-profile\//, "");
  const key = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(
  `${PATH}: ${Math.round(load.requests.average)} req/s, ${load.non2xx} non-2xx; self time, top 25:`,
);
for (const [key, micros] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
}
console.log(`flame graph: ${join(OUT, "requests.cpuprofile")} (open in Chrome DevTools, Performance tab)`);
