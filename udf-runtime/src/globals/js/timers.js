// setTimeout / setInterval. The driver fires timers when a function awaits
// nothing else: in real time for actions, immediately (in order) for queries
// and mutations, whose clock is frozen.

import { now } from "basalt:determinism";

const timers = new Map();
let nextTimerId = 1;

function earliest() {
  let at = Infinity;
  for (const t of timers.values()) at = Math.min(at, t.at);
  return at;
}

/// Milliseconds until the earliest timer is due (0 if overdue), or -1.
export function nextTimerDelay() {
  const at = earliest();
  return at === Infinity ? -1 : Math.max(0, at - now());
}

/// Runs the earliest timer (and any due at the same time), whatever the clock says.
export function runNextTimers() {
  const at = earliest();
  for (const [id, t] of [...timers]) {
    if (t.at !== at) continue;
    if (t.interval === null) timers.delete(id);
    else t.at = at + t.interval;
    t.fn(...t.args);
  }
}

export function clearTimers() {
  timers.clear();
}

function addTimer(fn, ms, args, repeat) {
  if (typeof fn !== "function") throw new TypeError("Callback must be a function");
  const delay = Math.max(0, Number(ms) || 0);
  const id = nextTimerId++;
  timers.set(id, { at: now() + delay, fn, args, interval: repeat ? Math.max(1, delay) : null });
  return id;
}

export function installTimers(g) {
  g.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  g.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  g.clearTimeout = (id) => void timers.delete(id);
  g.clearInterval = (id) => void timers.delete(id);
}
