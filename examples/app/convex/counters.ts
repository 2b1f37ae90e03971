// Named int64 counters: exercises bigint, bytes, records, unions and literals.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const bump = mutation({
  args: {
    name: v.string(),
    by: v.optional(v.int64()),
    blob: v.optional(v.bytes()),
    tags: v.optional(v.record(v.string(), v.number())),
  },
  returns: v.int64(),
  handler: async (ctx, { name, by, blob, tags }) => {
    const step = by ?? 1n;
    const existing = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    if (existing === null) {
      await ctx.db.insert("counters", { name, value: step, blob, tags });
      return step;
    }
    const value = existing.value + step;
    await ctx.db.patch(existing._id, { value, blob: blob ?? existing.blob, tags });
    return value;
  },
});

export const get = query({
  args: { name: v.string() },
  returns: v.union(
    v.object({ name: v.string(), value: v.int64(), blob: v.union(v.bytes(), v.null()) }),
    v.null(),
  ),
  handler: async (ctx, { name }) => {
    const row = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .first();
    if (row === null) {
      return null;
    }
    return { name: row.name, value: row.value, blob: row.blob ?? null };
  },
});

export const describe = query({
  args: {
    kind: v.union(v.literal("short"), v.literal("long")),
    extra: v.optional(v.any()),
  },
  returns: v.string(),
  handler: async (ctx, { kind }) => {
    const rows = await ctx.db.query("counters").collect();
    const total = rows.reduce((sum, row) => sum + row.value, 0n);
    return kind === "short" ? `${rows.length}` : `${rows.length} counters, total ${total}`;
  },
});
