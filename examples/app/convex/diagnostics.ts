// Internal functions that probe the runtime itself: determinism of time and
// randomness, module-level state, limits and timers. Used by Basalt's tests;
// internal, so clients cannot call them.
import { convexToJson, jsonToConvex, v } from "convex/values";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";

let calls = 0;
const loadedAt = Date.now();

export const entropy = internalQuery({
  args: {},
  handler: async () => ({
    random: [Math.random(), Math.random()],
    now: Date.now(),
    date: new Date().toISOString(),
    uuid: crypto.randomUUID(),
    bytes: Array.from(crypto.getRandomValues(new Uint8Array(4))),
    loadedAt,
  }),
});

export const moduleCalls = internalQuery({
  args: {},
  handler: async () => {
    calls += 1;
    return calls;
  },
});

export const spin = internalQuery({
  args: {},
  handler: async () => {
    let n = 0;
    for (;;) {
      n += 1;
    }
  },
});

export const hog = internalQuery({
  args: {},
  handler: async () => {
    const chunks: number[][] = [];
    for (;;) {
      chunks.push(new Array(100_000).fill(chunks.length));
    }
  },
});

export const recurse = internalQuery({
  args: { depth: v.number() },
  handler: async (_ctx, { depth }) => {
    const down = (n: number): number => (n <= 0 ? 0 : 1 + down(n - 1));
    return down(depth);
  },
});

export const env = internalQuery({
  args: { name: v.string() },
  handler: async (_ctx, { name }) => process.env[name] ?? null,
});

export const sleep = internalAction({
  args: { ms: v.number() },
  handler: async (_ctx, { ms }) => {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return Date.now() - start >= ms;
  },
});

export const metadata = internalMutation({
  args: {},
  handler: async (ctx) => {
    const fn = await ctx.meta.getFunctionMetadata();
    const deployment = await ctx.meta.getDeploymentMetadata();
    return { name: fn.name, type: fn.type, deployment: deployment.name };
  },
});

export const inspect = internalQuery({
  args: {},
  handler: async () => {
    console.log({ a: 1, nested: { list: [1, "two"] } }, [1, 2], 5n, null, undefined);
    console.error(new Error("shown"));
    return null;
  },
});

// Convex's own value conversions, run `times` times on a document's wire
// text as every document read and returned goes through them: parse,
// `jsonToConvex`, `convexToJson`, stringify. Returns the last round's text.
export const convertValues = internalQuery({
  args: { text: v.string(), times: v.number() },
  handler: async (_ctx, { text, times }) => {
    let out = text;
    for (let i = 0; i < times; i++) {
      out = JSON.stringify(convexToJson(jsonToConvex(JSON.parse(out))));
    }
    return out;
  },
});
