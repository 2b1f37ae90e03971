// The signed-in user, as the deployment's auth providers (auth.config.ts)
// verified them from the client's JWT (`client.setAuth(token)`).
import { mutation, query } from "./_generated/server";
import { v } from "convex/values";

export const me = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.auth.getUserIdentity();
  },
});

// A note written by the signed-in user; anonymous callers are refused.
export const addNote = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      throw new Error("Not signed in");
    }
    return await ctx.db.insert("messages", { author: identity.tokenIdentifier, body });
  },
});
