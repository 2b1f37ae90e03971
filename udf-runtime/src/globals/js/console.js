// The `console` global: each call becomes one log line `[LEVEL] message`.

import { now } from "basalt:determinism";

export function installConsole(g, host) {
  // The formatter is loaded on the first log line.
  let format = null;
  const formatLogArgs = (args) => {
    format ??= host.requireBuiltin("basalt:inspect").formatLogArgs;
    return format(args);
  };
  host.inspect = (value) => formatLogArgs([value]);
  const timers = new Map();
  const counts = new Map();
  const emit = (level, args) => host.log(level, formatLogArgs(args));
  const label = (l) => (l === undefined ? "default" : String(l));
  const console = {
    log: (...args) => emit("LOG", args),
    info: (...args) => emit("INFO", args),
    warn: (...args) => emit("WARN", args),
    error: (...args) => emit("ERROR", args),
    debug: (...args) => emit("DEBUG", args),
    trace: (...args) => emit("ERROR", args),
    assert: (condition, ...args) => {
      if (!condition) emit("ERROR", ["Assertion failed", ...args]);
    },
    count: (l) => {
      const key = label(l);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      host.log("INFO", `${key}: ${n}`);
    },
    countReset: (l) => counts.delete(label(l)),
    time: (l) => {
      const key = label(l);
      if (timers.has(key)) {
        host.log("WARN", `Timer '${key}' already exists`);
      } else {
        timers.set(key, now());
      }
    },
    timeLog: (l, ...args) => {
      const key = label(l);
      if (!timers.has(key)) return host.log("WARN", `Timer '${key}' does not exist`);
      const extra = args.length ? " " + formatLogArgs(args) : "";
      host.log("INFO", `${key}: ${now() - timers.get(key)}ms${extra}`);
    },
    timeEnd: (l) => {
      const key = label(l);
      if (!timers.has(key)) return host.log("WARN", `Timer '${key}' does not exist`);
      host.log("INFO", `${key}: ${now() - timers.get(key)}ms`);
      timers.delete(key);
    },
  };
  console.dir = console.log;
  console.table = console.log;
  Object.defineProperty(g, "console", { value: console, writable: true, configurable: true });
}
