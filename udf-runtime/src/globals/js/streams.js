// ReadableStream (the default kind, not byte streams) with its default
// reader, async iteration, tee() and ReadableStream.from(): what response
// bodies read as streams need (SDKs parse server-sent events this way) and
// what libraries building streams of their own use. Chunks wait in an
// in-memory queue; `pull` is called while fewer than `highWaterMark`
// chunks wait. Not yet: byte streams and BYOB readers, WritableStream,
// TransformStream, pipeTo/pipeThrough.

// A stream's state, shared with its controller and reader. Invariants:
// `queue` is empty unless `state` is "readable"; `reads` (pending read()
// promises) is non-empty only while `queue` is empty and the stream is
// readable; `closeRequested` with an empty queue means "closed".
class StreamState {
  state = "readable"; // "readable" | "closed" | "errored"
  queue = [];
  reads = []; // [resolve, reject] of pending reads, oldest first
  error = undefined;
  reader = null;
  disturbed = false;
  started = false;
  closeRequested = false;
  pulling = false;
  pullAgain = false;
  source;
  controller;
  highWaterMark;
  closed; // {promise, resolve, reject} of the current reader's `closed`
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function finishClose(s) {
  s.state = "closed";
  for (const [resolve] of s.reads.splice(0)) resolve({ value: undefined, done: true });
  s.closed?.resolve(undefined);
}

function fail(s, error) {
  if (s.state !== "readable") return;
  s.state = "errored";
  s.error = error;
  s.queue = [];
  for (const [, reject] of s.reads.splice(0)) reject(error);
  s.closed?.reject(error);
}

function desiredSize(s) {
  if (s.state === "errored") return null;
  if (s.state === "closed") return 0;
  return s.highWaterMark - s.queue.length;
}

function callSource(s, method, arg) {
  const f = s.source?.[method];
  if (f === undefined || f === null) return Promise.resolve();
  try {
    return Promise.resolve(f.call(s.source, arg));
  } catch (error) {
    return Promise.reject(error);
  }
}

function pullIfNeeded(s) {
  if (!s.started || s.state !== "readable" || s.closeRequested) return;
  if (s.reads.length === 0 && desiredSize(s) <= 0) return;
  if (s.pulling) {
    s.pullAgain = true;
    return;
  }
  s.pulling = true;
  callSource(s, "pull", s.controller).then(
    () => {
      s.pulling = false;
      if (s.pullAgain) {
        s.pullAgain = false;
        pullIfNeeded(s);
      }
    },
    (error) => fail(s, error),
  );
}

function read(s) {
  s.disturbed = true;
  if (s.queue.length > 0) {
    const value = s.queue.shift();
    if (s.closeRequested && s.queue.length === 0) finishClose(s);
    else pullIfNeeded(s);
    return Promise.resolve({ value, done: false });
  }
  if (s.state === "closed") return Promise.resolve({ value: undefined, done: true });
  if (s.state === "errored") return Promise.reject(s.error);
  const pending = new Promise((resolve, reject) => s.reads.push([resolve, reject]));
  pullIfNeeded(s);
  return pending;
}

function cancel(s, reason) {
  s.disturbed = true;
  if (s.state === "closed") return Promise.resolve(undefined);
  if (s.state === "errored") return Promise.reject(s.error);
  s.queue = [];
  finishClose(s);
  return callSource(s, "cancel", reason).then(() => undefined);
}

export class ReadableStreamDefaultController {
  #s;
  constructor(key, s) {
    if (key !== INTERNAL) throw new TypeError("Illegal constructor");
    this.#s = s;
  }
  get desiredSize() {
    return desiredSize(this.#s);
  }
  enqueue(chunk) {
    const s = this.#s;
    if (s.closeRequested || s.state !== "readable") {
      throw new TypeError("Cannot enqueue a chunk into a closed or errored stream");
    }
    if (s.reads.length > 0) s.reads.shift()[0]({ value: chunk, done: false });
    else s.queue.push(chunk);
    pullIfNeeded(s);
  }
  close() {
    const s = this.#s;
    if (s.closeRequested || s.state !== "readable") {
      throw new TypeError("Cannot close a closed or errored stream");
    }
    s.closeRequested = true;
    if (s.queue.length === 0) finishClose(s);
  }
  error(error) {
    fail(this.#s, error);
  }
  get [Symbol.toStringTag]() {
    return "ReadableStreamDefaultController";
  }
}

const INTERNAL = Symbol("streams");
// Reaches a stream's state from this module; assigned in ReadableStream's
// static block.
let stateOf;

export class ReadableStreamDefaultReader {
  #s;
  constructor(stream) {
    if (!(stream instanceof ReadableStream)) {
      throw new TypeError("ReadableStreamDefaultReader needs a ReadableStream");
    }
    const s = stateOf(stream);
    if (s.reader !== null) throw new TypeError("ReadableStream is locked");
    s.reader = this;
    s.closed = deferred();
    if (s.state === "closed") s.closed.resolve(undefined);
    if (s.state === "errored") s.closed.reject(s.error);
    this.#s = s;
  }
  get closed() {
    return this.#s?.closed.promise ?? Promise.reject(new TypeError("The reader has been released"));
  }
  read() {
    if (this.#s === null) return Promise.reject(new TypeError("The reader has been released"));
    return read(this.#s);
  }
  cancel(reason) {
    if (this.#s === null) return Promise.reject(new TypeError("The reader has been released"));
    return cancel(this.#s, reason);
  }
  releaseLock() {
    const s = this.#s;
    if (s === null) return;
    const released = new TypeError("The reader has been released");
    for (const [, reject] of s.reads.splice(0)) reject(released);
    s.closed.reject(released);
    s.closed = null;
    s.reader = null;
    this.#s = null;
  }
  get [Symbol.toStringTag]() {
    return "ReadableStreamDefaultReader";
  }
}

export class ReadableStream {
  #s = new StreamState();

  constructor(source = {}, strategy = {}) {
    const s = this.#s;
    if (source !== null && source !== undefined && source.type !== undefined) {
      throw new RangeError(`ReadableStream type ${String(source.type)} is not supported yet`);
    }
    const highWaterMark = strategy?.highWaterMark ?? 1;
    if (typeof highWaterMark !== "number" || !(highWaterMark >= 0)) {
      throw new RangeError("highWaterMark must be a non-negative number");
    }
    s.source = source ?? {};
    s.highWaterMark = highWaterMark;
    s.controller = new ReadableStreamDefaultController(INTERNAL, s);
    // `start` runs now; pulling begins once what it returns has settled.
    const started = s.source.start === undefined ? undefined : s.source.start.call(s.source, s.controller);
    Promise.resolve(started).then(
      () => {
        s.started = true;
        pullIfNeeded(s);
      },
      (error) => fail(s, error),
    );
  }

  static {
    stateOf = (stream) => stream.#s;
  }

  /// A stream of the values of a (sync or async) iterable.
  static from(iterable) {
    const iterator =
      iterable?.[Symbol.asyncIterator]?.() ?? iterable?.[Symbol.iterator]?.();
    if (iterator === undefined) throw new TypeError("ReadableStream.from: the argument is not iterable");
    return new ReadableStream({
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(await value);
      },
      async cancel(reason) {
        await iterator.return?.(reason);
      },
    }, { highWaterMark: 0 });
  }

  get locked() {
    return this.#s.reader !== null;
  }

  getReader(options) {
    if (options?.mode !== undefined) {
      throw new TypeError(`ReadableStream readers of mode ${String(options.mode)} are not supported yet`);
    }
    return new ReadableStreamDefaultReader(this);
  }

  cancel(reason) {
    if (this.locked) return Promise.reject(new TypeError("Cannot cancel a locked ReadableStream"));
    return cancel(this.#s, reason);
  }

  /// Two streams that each get every chunk of this one.
  tee() {
    const reader = this.getReader();
    const branches = [];
    let cancelled = 0;
    let reading = null;
    const pullBoth = () => {
      reading ??= reader.read().then(
        ({ value, done }) => {
          reading = null;
          for (const b of branches) {
            if (b.cancelled) continue;
            if (done) b.controller.close();
            else b.controller.enqueue(value);
          }
        },
        (error) => {
          for (const b of branches) b.controller.error(error);
        },
      );
      return reading;
    };
    for (let i = 0; i < 2; i++) {
      const branch = { controller: null, cancelled: false };
      branches.push(branch);
      branch.stream = new ReadableStream({
        start(controller) {
          branch.controller = controller;
        },
        pull: pullBoth,
        cancel(reason) {
          branch.cancelled = true;
          cancelled += 1;
          if (cancelled === 2) return reader.cancel(reason);
        },
      });
    }
    return [branches[0].stream, branches[1].stream];
  }

  values(options) {
    const reader = this.getReader();
    const preventCancel = Boolean(options?.preventCancel);
    return {
      next() {
        return reader.read().then((result) => {
          if (result.done) reader.releaseLock();
          return result;
        });
      },
      async return(value) {
        if (!preventCancel) await reader.cancel(value);
        reader.releaseLock();
        return { value, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  [Symbol.asyncIterator](options) {
    return this.values(options);
  }

  get [Symbol.toStringTag]() {
    return "ReadableStream";
  }
}

/// A closed stream of one chunk.
export function streamOf(chunk) {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(chunk);
      controller.close();
    },
  });
}

/// Whether anything has been read from `stream` (or it was cancelled).
export function isDisturbed(stream) {
  return stateOf(stream).disturbed;
}

/// Every chunk of a stream that is unlocked, untouched and already closed
/// with all its chunks queued, taking them; undefined for any other stream.
export function takeAllQueued(stream) {
  const s = stateOf(stream);
  if (s.reader !== null || s.disturbed || s.state !== "readable" || !s.closeRequested) {
    return s.state === "closed" && !s.disturbed && s.reader === null ? [] : undefined;
  }
  const chunks = s.queue;
  s.queue = [];
  s.disturbed = true;
  finishClose(s);
  return chunks;
}

export function installStreams(g) {
  Object.assign(g, { ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController });
}
