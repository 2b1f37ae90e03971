// Drives a deployed examples/app with the real ConvexHttpClient from the
// `convex` npm package. Usage: node http_client.mjs <url> <admin key>
// Exits non-zero (with the failed assertion) on any mismatch.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../examples/app/package.json"));
const { ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");
const { ConvexError } = require("convex/values");

const [url, adminKey] = process.argv.slice(2);
const client = new ConvexHttpClient(url);
const api = anyApi;

// Mutations and queries, with log lines.
const id = await client.mutation(api.messages.send, { author: "ada", body: "hello" });
assert.equal(typeof id, "string");
assert.equal(id.length, 32);
await client.mutation(api.messages.send, { author: "ada", body: "again", channel: "general" });
await client.mutation(api.messages.send, { author: "bob", body: "hi" });
const ada = await client.query(api.messages.list, { author: "ada" });
assert.deepEqual(ada.map((m) => m.body).sort(), ["again", "hello"]);
assert.ok(ada.every((m) => typeof m._creationTime === "number"));
const one = await client.query(api.messages.get, { id });
assert.equal(one.body, "hello");

// int64 and bytes round trip exactly.
const big = 9007199254740993n; // not representable as a float64
assert.equal(await client.mutation(api.counters.bump, { name: "c", by: big, blob: new Uint8Array([1, 2, 250]).buffer }), big);
assert.equal(await client.mutation(api.counters.bump, { name: "c", by: -3n }), big - 3n);
const counter = await client.query(api.counters.get, { name: "c" });
assert.equal(counter.value, big - 3n);
assert.deepEqual([...new Uint8Array(counter.blob)], [1, 2, 250]);

// A thrown Error: status "error" with Convex's message.
await assert.rejects(client.query(api.messages.boom, {}), (e) => {
  assert.match(e.message, /\[Request ID: [0-9a-f]+\] Server Error\nUncaught Error: boom/);
  return true;
});
// ConvexError data reaches the client.
await assert.rejects(client.mutation(api.messages.fail, {}), (e) => {
  assert.ok(e instanceof ConvexError, `expected ConvexError, got ${e}`);
  assert.deepEqual(e.data, { code: 42, message: "the answer" });
  return true;
});
// Argument validation.
await assert.rejects(client.mutation(api.messages.send, { author: 5, body: "x" }), /ArgumentValidationError/);
// Internal functions are hidden from the public…
await assert.rejects(client.query(api.messages.count, { author: "ada" }), /Could not find public function for 'messages:count'/);
// …but callable by an admin.
const admin = new ConvexHttpClient(url);
admin.setAdminAuth(adminKey);
assert.equal(await admin.function(api.messages.count, undefined, { author: "ada" }), 2);

// An action calling runQuery/runMutation.
const viaAction = await client.action(api.actions.sendAndCount, { author: "cy", body: "from action" });
assert.equal(viaAction.count, 1);
assert.equal(viaAction.id.length, 32);

// Pagination through the whole table.
let cursor = null;
let seen = 0;
for (let i = 0; i < 10; i++) {
  const res = await client.query(api.messages.page, { paginationOpts: { numItems: 2, cursor } });
  seen += res.page.length;
  cursor = res.continueCursor;
  if (res.isDone) break;
}
assert.ok(seen >= 4, `paginated ${seen} messages`);

console.log("http_client: all assertions passed");
