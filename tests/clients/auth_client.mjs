// Calls examples/app as a signed-in user with the real ConvexHttpClient:
// `setAuth(token)`, then `users:me` and `users:addNote`.
// Usage: node auth_client.mjs <url> <token>
// Prints {"me": <identity>, "note": <id>} or {"error": <message>} as JSON.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../examples/app/package.json"));
const { ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");

const [url, token] = process.argv.slice(2);
const client = new ConvexHttpClient(url);
client.setAuth(token);
try {
  const me = await client.query(anyApi.users.me, {});
  const note = await client.mutation(anyApi.users.addNote, { body: "signed in" });
  console.log(JSON.stringify({ me, note }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e.message ?? e) }));
}
