// HTTP endpoints served on the deployment's site URL.
import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";
import { api } from "./_generated/api";

const http = httpRouter();

http.route({
  path: "/messages",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const author = new URL(request.url).searchParams.get("author") ?? "";
    const rows = await ctx.runQuery(api.messages.list, { author });
    return new Response(JSON.stringify(rows.map((row) => row.body)), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }),
});

http.route({
  path: "/messages",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const { author, body } = await request.json();
    const id = await ctx.runMutation(api.messages.send, { author, body });
    return new Response(id, { status: 201 });
  }),
});

export default http;
