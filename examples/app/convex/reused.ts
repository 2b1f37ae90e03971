// A module that opts into context reuse, as Convex allows: its module-level
// state survives between calls even in strict mode.
import { internalQuery } from "./_generated/server";

export const experimental_reuseContext = true;

let calls = 0;

export const count = internalQuery({
  args: {},
  handler: async () => {
    calls += 1;
    return calls;
  },
});
