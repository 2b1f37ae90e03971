// The data model of the example chat app: messages in optional channels, and
// named int64 counters with a small binary payload.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  messages: defineTable({
    author: v.string(),
    body: v.string(),
    channel: v.optional(v.string()),
  })
    .index("by_author", ["author"])
    .index("by_channel_author", ["channel", "author"])
    .searchIndex("search_body", {
      searchField: "body",
      filterFields: ["channel"],
    }),
  counters: defineTable({
    name: v.string(),
    value: v.int64(),
    blob: v.optional(v.bytes()),
    tags: v.optional(v.record(v.string(), v.number())),
  }).index("by_name", ["name"]),
});
