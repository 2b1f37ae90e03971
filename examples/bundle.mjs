#!/usr/bin/env node
// Bundles a Convex app with the real `convex` CLI, offline, and writes the
// push request the CLI would send to a deployment (`start_push` body) as JSON.
//
// Usage: node examples/bundle.mjs <out.json> [appDir]   (appDir defaults to examples/app)
//
// How: a loopback HTTP server answers just enough of the deploy protocol for
// `npx convex dev --once` to bundle and push; the brotli-compressed
// `POST /api/deploy2/start_push` body is captured and decompressed, then the
// server answers 400 so the CLI stops without needing a real backend.

import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const [outPath, appArg] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node examples/bundle.mjs <out.json> [appDir]");
  process.exit(2);
}
const appDir = resolve(appArg ?? join(here, "app"));
const cli = join(appDir, "node_modules", "convex", "bin", "main.js");
if (!existsSync(cli)) {
  console.error(
    `The convex CLI is not installed in ${appDir}.\n` +
      `Install it with:  (cd ${appDir} && npm ci)`,
  );
  process.exit(3);
}

function readBody(req) {
  return new Promise((resolveBody, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      const encoding = req.headers["content-encoding"];
      if (encoding === "br") body = brotliDecompressSync(body);
      else if (encoding === "gzip") body = gunzipSync(body);
      resolveBody(body.toString("utf8"));
    });
    req.on("error", reject);
  });
}

let captured = null;
const seen = [];

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  seen.push(`${req.method} ${url.pathname}`);
  const json = (status, value) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    const body = await readBody(req);
    switch (url.pathname) {
      case "/api/v1/get_canonical_urls":
        return json(200, { convexCloudUrl: origin, convexSiteUrl: origin });
      case "/api/stream_function_logs":
        return json(200, { entries: [], newCursor: 0 });
      case "/api/get_config_hashes":
        return json(200, {
          config: { functions: "convex/" },
          moduleHashes: [],
          udfServerVersion: "1.48.0",
          nodeVersion: null,
        });
      case "/api/deploy2/start_push":
        captured = body;
        return json(400, {
          code: "BundleCaptured",
          message: "bundle captured by examples/bundle.mjs",
        });
      default:
        return json(404, { code: "NotFound", message: `${url.pathname} not served` });
    }
  } catch (e) {
    return json(500, { code: "InternalServerError", message: String(e) });
  }
});

await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;

const child = spawn(
  process.execPath,
  [cli, "dev", "--once", "--typecheck", "disable"],
  {
    cwd: appDir,
    env: {
      ...process.env,
      CI: "1",
      CONVEX_SELF_HOSTED_URL: `http://127.0.0.1:${port}`,
      CONVEX_SELF_HOSTED_ADMIN_KEY: "self-hosted|bundle",
      CONVEX_DEPLOYMENT: "",
      CONVEX_DEPLOY_KEY: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  },
);
let output = "";
child.stdout.on("data", (d) => (output += d));
child.stderr.on("data", (d) => (output += d));
const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
await new Promise((r) => child.on("close", r));
clearTimeout(timer);
server.close();

if (captured === null) {
  console.error("The convex CLI never sent start_push. Requests seen:");
  for (const line of seen) console.error(`  ${line}`);
  console.error("CLI output:\n" + output);
  process.exit(1);
}
const push = JSON.parse(captured);
writeFileSync(outPath, JSON.stringify(push));
const modules = push.appDefinition.changedModules.map((m) => m.path);
console.log(`wrote ${outPath}: ${modules.length} modules (${modules.join(", ")})`);
