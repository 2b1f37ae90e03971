// Scheduled jobs: a daily cleanup of the "bot" author's messages.
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

crons.daily("clear bot messages", { hourUTC: 3, minuteUTC: 0 }, internal.messages.clearAuthor, {
  author: "bot",
});

export default crons;
