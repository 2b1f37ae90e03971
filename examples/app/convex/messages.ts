// Chat messages: queries over indexes and filters, CRUD mutations, errors.
import { ConvexError, v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { internalMutation, internalQuery, mutation, query } from "./_generated/server";

const message = v.object({
  _id: v.id("messages"),
  _creationTime: v.number(),
  author: v.string(),
  body: v.string(),
  channel: v.optional(v.string()),
});

export const ping = query({
  args: {},
  returns: v.string(),
  handler: async () => "pong",
});

// Returns its argument: the cheapest query whose result the cache cannot
// have (the load bench sends a new number on every call).
export const echo = query({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => n,
});

export const list = query({
  args: { author: v.string(), limit: v.optional(v.number()) },
  returns: v.array(message),
  handler: async (ctx, { author, limit }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_author", (q) => q.eq("author", author))
      .order("desc")
      .take(limit ?? 10);
  },
});

export const listAll = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.db.query("messages").collect();
  },
});

export const inChannel = query({
  args: { channel: v.string(), authorFrom: v.optional(v.string()) },
  handler: async (ctx, { channel, authorFrom }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_channel_author", (q) =>
        authorFrom === undefined
          ? q.eq("channel", channel)
          : q.eq("channel", channel).gte("author", authorFrom),
      )
      .collect();
  },
});

export const withBody = query({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    return await ctx.db
      .query("messages")
      .filter((q) => q.or(q.eq(q.field("body"), body), q.eq(q.field("channel"), body)))
      .collect();
  },
});

export const latest = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.db.query("messages").order("desc").first();
  },
});

export const onlyByAuthor = query({
  args: { author: v.string() },
  handler: async (ctx, { author }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_author", (q) => q.eq("author", author))
      .unique();
  },
});

export const get = query({
  args: { id: v.id("messages") },
  returns: v.union(message, v.null()),
  handler: async (ctx, { id }) => {
    return await ctx.db.get(id);
  },
});

export const page = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) => {
    return await ctx.db.query("messages").order("asc").paginate(paginationOpts);
  },
});

export const send = mutation({
  args: { author: v.string(), body: v.string(), channel: v.optional(v.string()) },
  returns: v.id("messages"),
  handler: async (ctx, args) => {
    const id = await ctx.db.insert("messages", args);
    console.log("sent", args.body, "by", args.author);
    return id;
  },
});

export const edit = mutation({
  args: { id: v.id("messages"), body: v.optional(v.string()), channel: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { id, body, channel }) => {
    await ctx.db.patch(id, { body, channel });
    return null;
  },
});

export const replaceBody = mutation({
  args: { id: v.id("messages"), body: v.string() },
  handler: async (ctx, { id, body }) => {
    const old = await ctx.db.get(id);
    if (old === null) {
      throw new ConvexError({ code: 404, message: "no such message" });
    }
    await ctx.db.replace(id, { author: old.author, body });
    return await ctx.db.get(id);
  },
});

export const remove = mutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    await ctx.db.delete(id);
  },
});

export const fail = mutation({
  args: {},
  handler: async () => {
    throw new ConvexError({ code: 42, message: "the answer" });
  },
});

export const boom = query({
  args: {},
  handler: async () => {
    console.info("about to fail");
    throw new Error("boom");
  },
});

export const whoami = query({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    return identity === null ? null : identity.subject;
  },
});

export const badReturn = query({
  args: {},
  returns: v.string(),
  handler: async () => {
    return 5 as unknown as string;
  },
});

export const count = internalQuery({
  args: { author: v.string() },
  returns: v.number(),
  handler: async (ctx, { author }) => {
    const rows = await ctx.db
      .query("messages")
      .withIndex("by_author", (q) => q.eq("author", author))
      .collect();
    return rows.length;
  },
});

export const clearAuthor = internalMutation({
  args: { author: v.string() },
  returns: v.number(),
  handler: async (ctx, { author }) => {
    const rows = await ctx.db
      .query("messages")
      .withIndex("by_author", (q) => q.eq("author", author))
      .collect();
    for (const row of rows) {
      await ctx.db.delete(row._id);
    }
    console.warn("cleared", rows.length, "messages");
    return rows.length;
  },
});

// Queries and mutations are deterministic: fetch() is refused.
export const fetchInQuery = query({
  args: {},
  handler: async () => {
    await fetch("https://example.com/");
    return "fetched";
  },
});

// Writes whatever they are given: the schema, not an args validator, must
// refuse documents that do not match it.
export const insertUnchecked = mutation({
  args: { doc: v.any() },
  handler: async (ctx, { doc }) => {
    return await ctx.db.insert("messages", doc);
  },
});

export const patchUnchecked = mutation({
  args: { id: v.id("messages"), patch: v.any() },
  handler: async (ctx, { id, patch }) => {
    await ctx.db.patch(id, patch);
    return await ctx.db.get(id);
  },
});

// A refused write that user code catches leaves nothing behind.
export const insertAndCatch = mutation({
  args: { doc: v.any() },
  handler: async (ctx, { doc }) => {
    try {
      await ctx.db.insert("messages", doc);
      return "inserted";
    } catch (e: any) {
      return `refused: ${e.message}`;
    }
  },
});
