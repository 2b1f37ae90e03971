// Web streams: ReadableStream (the default kind, not byte streams) with its
// default reader, async iteration, tee(), from(), pipeTo() and
// pipeThrough(); WritableStream with its writer; TransformStream; and
// TextDecoderStream / TextEncoderStream. What response bodies read as
// streams need (SDKs parse server-sent events this way) and what libraries
// building streams of their own use (the AI SDK subclasses TransformStream
// at import). Chunks wait in in-memory queues; `pull` is called while fewer
// than `highWaterMark` chunks wait, and writes run one at a time. Not yet:
// byte streams and BYOB readers.

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

  /// Writes every chunk of this stream to `destination`, then closes it (or
  /// aborts it on an error, or cancels this stream if it fails).
  async pipeTo(destination, options = {}) {
    if (!(destination instanceof WritableStream)) {
      throw new TypeError("pipeTo: the destination is not a WritableStream");
    }
    const { preventClose = false, preventAbort = false, preventCancel = false, signal } = options ?? {};
    signal?.throwIfAborted();
    const reader = this.getReader();
    const writer = destination.getWriter();
    const onAbort = () => {
      const reason = signal.reason;
      if (!preventAbort) writer.abort(reason).catch(() => {});
      if (!preventCancel) reader.cancel(reason).catch(() => {});
    };
    signal?.addEventListener("abort", onAbort);
    try {
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!preventAbort) await writer.abort(error).catch(() => {});
          throw error;
        }
        if (chunk.done) break;
        try {
          await writer.write(chunk.value);
        } catch (error) {
          if (!preventCancel) await reader.cancel(error).catch(() => {});
          throw error;
        }
      }
      if (!preventClose) await writer.close();
    } finally {
      signal?.removeEventListener("abort", onAbort);
      reader.releaseLock();
      writer.releaseLock();
    }
  }

  /// Pipes this stream into `transform.writable` and returns
  /// `transform.readable`.
  pipeThrough(transform, options) {
    if (!(transform?.writable instanceof WritableStream) || !(transform?.readable instanceof ReadableStream)) {
      throw new TypeError("pipeThrough: expected {writable, readable}");
    }
    this.pipeTo(transform.writable, options).catch(() => {});
    return transform.readable;
  }

  get [Symbol.toStringTag]() {
    return "ReadableStream";
  }
}

// --- WritableStream ---

// A writable stream's state, shared with its controller and writer.
// `queue` holds writes (and at most one close, last) not yet given to the
// sink; `inFlight` is true while the sink works on one of them.
class SinkState {
  state = "writable"; // "writable" | "closing" | "closed" | "errored"
  queue = []; // {chunk, close, resolve, reject}
  inFlight = false;
  started = false;
  error = undefined;
  writer = null;
  closed = null; // the current writer's `closed`, a deferred
  sink;
  controller;
  highWaterMark;
  abort = new AbortController();
}

function failSink(w, error) {
  if (w.state === "errored" || w.state === "closed") return;
  w.state = "errored";
  w.error = error;
  for (const item of w.queue.splice(0)) item.reject(error);
  w.closed?.reject(error);
}

function callSink(w, method, ...args) {
  const f = w.sink?.[method];
  if (f === undefined || f === null) return Promise.resolve();
  try {
    return Promise.resolve(f.call(w.sink, ...args));
  } catch (error) {
    return Promise.reject(error);
  }
}

function advance(w) {
  if (!w.started || w.inFlight || w.queue.length === 0 || w.state === "errored") return;
  const item = w.queue[0];
  w.inFlight = true;
  const done = item.close ? callSink(w, "close", w.controller) : callSink(w, "write", item.chunk, w.controller);
  done.then(
    () => {
      w.inFlight = false;
      if (w.state === "errored") return;
      w.queue.shift();
      item.resolve(undefined);
      if (item.close) {
        w.state = "closed";
        w.closed?.resolve(undefined);
      }
      advance(w);
    },
    (error) => {
      w.inFlight = false;
      failSink(w, error);
    },
  );
}

function enqueueWrite(w, item) {
  return new Promise((resolve, reject) => {
    w.queue.push({ ...item, resolve, reject });
    advance(w);
  });
}

function writeTo(w, chunk) {
  if (w.state === "errored") return Promise.reject(w.error);
  if (w.state !== "writable") return Promise.reject(new TypeError("Cannot write to a closing or closed stream"));
  return enqueueWrite(w, { chunk, close: false });
}

function closeSink(w) {
  if (w.state !== "writable") return Promise.reject(new TypeError("The stream is closed or closing"));
  w.state = "closing";
  return enqueueWrite(w, { close: true });
}

function abortSink(w, reason) {
  if (w.state === "closed" || w.state === "errored") return Promise.resolve(undefined);
  failSink(w, reason);
  w.abort.abort(reason);
  return callSink(w, "abort", reason).then(() => undefined);
}

export class WritableStreamDefaultController {
  #w;
  constructor(key, w) {
    if (key !== INTERNAL) throw new TypeError("Illegal constructor");
    this.#w = w;
  }
  get signal() {
    return this.#w.abort.signal;
  }
  error(error) {
    failSink(this.#w, error);
  }
  get [Symbol.toStringTag]() {
    return "WritableStreamDefaultController";
  }
}

export class WritableStreamDefaultWriter {
  #w;
  constructor(stream) {
    if (!(stream instanceof WritableStream)) throw new TypeError("WritableStreamDefaultWriter needs a WritableStream");
    const w = sinkOf(stream);
    if (w.writer !== null) throw new TypeError("WritableStream is locked");
    w.writer = this;
    w.closed = deferred();
    if (w.state === "closed") w.closed.resolve(undefined);
    if (w.state === "errored") w.closed.reject(w.error);
    this.#w = w;
  }
  #released() {
    return Promise.reject(new TypeError("The writer has been released"));
  }
  get closed() {
    return this.#w?.closed.promise ?? this.#released();
  }
  get ready() {
    return this.#w === null ? this.#released() : Promise.resolve(undefined);
  }
  get desiredSize() {
    const w = this.#w;
    if (w === null) throw new TypeError("The writer has been released");
    if (w.state === "errored") return null;
    if (w.state === "closed") return 0;
    return w.highWaterMark - w.queue.length;
  }
  write(chunk) {
    return this.#w === null ? this.#released() : writeTo(this.#w, chunk);
  }
  close() {
    return this.#w === null ? this.#released() : closeSink(this.#w);
  }
  abort(reason) {
    return this.#w === null ? this.#released() : abortSink(this.#w, reason);
  }
  releaseLock() {
    const w = this.#w;
    if (w === null) return;
    w.closed.reject(new TypeError("The writer has been released"));
    w.closed = null;
    w.writer = null;
    this.#w = null;
  }
  get [Symbol.toStringTag]() {
    return "WritableStreamDefaultWriter";
  }
}

let sinkOf;

export class WritableStream {
  #w = new SinkState();
  constructor(sink = {}, strategy = {}) {
    const w = this.#w;
    w.sink = sink ?? {};
    w.highWaterMark = strategy?.highWaterMark ?? 1;
    w.controller = new WritableStreamDefaultController(INTERNAL, w);
    const started = w.sink.start === undefined ? undefined : w.sink.start.call(w.sink, w.controller);
    Promise.resolve(started).then(
      () => {
        w.started = true;
        advance(w);
      },
      (error) => failSink(w, error),
    );
  }
  static {
    sinkOf = (stream) => stream.#w;
  }
  get locked() {
    return this.#w.writer !== null;
  }
  getWriter() {
    return new WritableStreamDefaultWriter(this);
  }
  close() {
    if (this.locked) return Promise.reject(new TypeError("Cannot close a locked WritableStream"));
    return closeSink(this.#w);
  }
  abort(reason) {
    if (this.locked) return Promise.reject(new TypeError("Cannot abort a locked WritableStream"));
    return abortSink(this.#w, reason);
  }
  get [Symbol.toStringTag]() {
    return "WritableStream";
  }
}

// --- TransformStream ---

export class TransformStreamDefaultController {
  #enqueue;
  #error;
  #terminate;
  #desiredSize;
  constructor(key, parts) {
    if (key !== INTERNAL) throw new TypeError("Illegal constructor");
    this.#enqueue = parts.enqueue;
    this.#error = parts.error;
    this.#terminate = parts.terminate;
    this.#desiredSize = parts.desiredSize;
  }
  get desiredSize() {
    return this.#desiredSize();
  }
  enqueue(chunk) {
    this.#enqueue(chunk);
  }
  error(reason) {
    this.#error(reason);
  }
  terminate() {
    this.#terminate();
  }
  get [Symbol.toStringTag]() {
    return "TransformStreamDefaultController";
  }
}

/// A writable side and a readable side: each chunk written goes through
/// `transformer.transform` (identity by default) into the readable side;
/// closing the writable side runs `flush` and closes the readable one.
export class TransformStream {
  #readable;
  #writable;
  constructor(transformer = {}, writableStrategy = {}, readableStrategy = {}) {
    const t = transformer ?? {};
    let readableController;
    let writableController;
    this.#readable = new ReadableStream(
      {
        start(c) {
          readableController = c;
        },
        cancel(reason) {
          writableController?.error(reason);
        },
      },
      readableStrategy,
    );
    const closeReadable = () => {
      try {
        readableController.close();
      } catch {
        // already closed or errored
      }
    };
    const controller = new TransformStreamDefaultController(INTERNAL, {
      enqueue: (chunk) => readableController.enqueue(chunk),
      error: (reason) => {
        readableController.error(reason);
        writableController?.error(reason);
      },
      terminate: () => {
        closeReadable();
        writableController?.error(new TypeError("The transform stream has been terminated"));
      },
      desiredSize: () => readableController.desiredSize,
    });
    const started = t.start === undefined ? undefined : t.start.call(t, controller);
    this.#writable = new WritableStream(
      {
        start(c) {
          writableController = c;
          return started;
        },
        write(chunk) {
          if (t.transform === undefined) return controller.enqueue(chunk);
          return t.transform.call(t, chunk, controller);
        },
        close() {
          return Promise.resolve(t.flush === undefined ? undefined : t.flush.call(t, controller)).then(closeReadable);
        },
        abort(reason) {
          readableController.error(reason);
        },
      },
      writableStrategy,
    );
  }
  get readable() {
    return this.#readable;
  }
  get writable() {
    return this.#writable;
  }
  get [Symbol.toStringTag]() {
    return "TransformStream";
  }
}

export class TextDecoderStream extends TransformStream {
  #decoder;
  constructor(label = "utf-8", options = {}) {
    const decoder = new TextDecoder(label, options);
    super({
      transform(chunk, controller) {
        const text = decoder.decode(chunk, { stream: true });
        if (text !== "") controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text !== "") controller.enqueue(text);
      },
    });
    this.#decoder = decoder;
  }
  get encoding() {
    return this.#decoder.encoding;
  }
  get fatal() {
    return this.#decoder.fatal;
  }
  get ignoreBOM() {
    return this.#decoder.ignoreBOM;
  }
}

export class TextEncoderStream extends TransformStream {
  constructor() {
    const encoder = new TextEncoder();
    super({
      transform(chunk, controller) {
        const text = String(chunk);
        if (text !== "") controller.enqueue(encoder.encode(text));
      },
    });
  }
  get encoding() {
    return "utf-8";
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
  if (s.reader !== null || s.disturbed) return undefined;
  if (s.state === "closed") return [];
  if (s.state !== "readable" || !s.closeRequested) return undefined;
  const chunks = s.queue;
  s.queue = [];
  s.disturbed = true;
  finishClose(s);
  return chunks;
}

export function installStreams(g) {
  Object.assign(g, {
    ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController,
    WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
    TransformStream, TransformStreamDefaultController, TextDecoderStream, TextEncoderStream,
  });
}
