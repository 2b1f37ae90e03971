// Events and cancellation as the web platform defines them: DOMException,
// Event, CustomEvent, EventTarget, AbortController and AbortSignal (which
// fetch() honours). SDKs used in actions create AbortControllers for their
// timeouts, so these must exist even where nothing is ever aborted.
// A listener that throws does not stop the dispatch: its error is logged.

// DOMException names with a legacy numeric `code`.
const LEGACY_CODES = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
  InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8,
  NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
  InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
  URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
  InvalidNodeTypeError: 24, DataCloneError: 25,
};

export class DOMException extends Error {
  #name;
  constructor(message = "", name = "Error") {
    super(String(message));
    this.#name = String(name);
  }
  get name() {
    return this.#name;
  }
  get code() {
    return LEGACY_CODES[this.#name] ?? 0;
  }
  get [Symbol.toStringTag]() {
    return "DOMException";
  }
}

// Dispatch state lives in Event's private fields; EventTarget reaches it
// through these, assigned in Event's static block.
let beginDispatch;
let endDispatch;
let setPassive;
let stoppedImmediately;

export class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #defaultPrevented = false;
  #passive = false;
  #stopped = false;
  #stoppedImmediately = false;
  #target = null;
  #currentTarget = null;
  #dispatching = false;
  #timeStamp = performance.now();

  constructor(type, init = {}) {
    if (arguments.length === 0) {
      throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
    }
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }

  static {
    beginDispatch = (event, target) => {
      if (event.#dispatching) {
        throw new DOMException("The event is already being dispatched.", "InvalidStateError");
      }
      event.#dispatching = true;
      event.#target = target;
      event.#currentTarget = target;
      event.#stopped = false;
      event.#stoppedImmediately = false;
    };
    endDispatch = (event) => {
      event.#dispatching = false;
      event.#currentTarget = null;
    };
    setPassive = (event, passive) => {
      event.#passive = passive;
    };
    stoppedImmediately = (event) => event.#stoppedImmediately;
  }

  get type() {
    return this.#type;
  }
  get bubbles() {
    return this.#bubbles;
  }
  get cancelable() {
    return this.#cancelable;
  }
  get composed() {
    return this.#composed;
  }
  get defaultPrevented() {
    return this.#defaultPrevented;
  }
  get returnValue() {
    return !this.#defaultPrevented;
  }
  get target() {
    return this.#target;
  }
  get srcElement() {
    return this.#target;
  }
  get currentTarget() {
    return this.#currentTarget;
  }
  get eventPhase() {
    return this.#dispatching ? Event.AT_TARGET : Event.NONE;
  }
  get timeStamp() {
    return this.#timeStamp;
  }
  get isTrusted() {
    return false;
  }
  get cancelBubble() {
    return this.#stopped;
  }
  set cancelBubble(value) {
    if (value) this.#stopped = true;
  }
  preventDefault() {
    if (this.#cancelable && !this.#passive) this.#defaultPrevented = true;
  }
  stopPropagation() {
    this.#stopped = true;
  }
  stopImmediatePropagation() {
    this.#stopped = true;
    this.#stoppedImmediately = true;
  }
  composedPath() {
    return this.#dispatching ? [this.#currentTarget] : [];
  }
  get [Symbol.toStringTag]() {
    return "Event";
  }
}
Object.assign(Event, { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 });

export class CustomEvent extends Event {
  #detail;
  constructor(type, init = {}) {
    super(type, init);
    this.#detail = init?.detail ?? null;
  }
  get detail() {
    return this.#detail;
  }
  get [Symbol.toStringTag]() {
    return "CustomEvent";
  }
}

function listenerOptions(options) {
  if (typeof options === "boolean") return { capture: options, once: false, passive: false, signal: null };
  return {
    capture: Boolean(options?.capture),
    once: Boolean(options?.once),
    passive: Boolean(options?.passive),
    signal: options?.signal ?? null,
  };
}

export class EventTarget {
  // type → listeners in registration order: {callback, capture, once, passive, removed}
  #listeners = new Map();

  addEventListener(type, callback, options) {
    if (callback === null || callback === undefined) return;
    const { capture, once, passive, signal } = listenerOptions(options);
    if (signal !== null && !(signal instanceof AbortSignal)) {
      throw new TypeError("Failed to execute 'addEventListener': member signal is not of type AbortSignal.");
    }
    if (signal?.aborted) return;
    const key = String(type);
    let list = this.#listeners.get(key);
    if (list === undefined) {
      list = [];
      this.#listeners.set(key, list);
    }
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    list.push({ callback, capture, once, passive, removed: false });
    signal?.addEventListener("abort", () => this.removeEventListener(key, callback, { capture }));
  }

  removeEventListener(type, callback, options) {
    const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
    const list = this.#listeners.get(String(type));
    if (list === undefined) return;
    const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
    if (i >= 0) {
      list[i].removed = true;
      list.splice(i, 1);
    }
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) {
      throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'.");
    }
    beginDispatch(event, this);
    try {
      // Listeners added during the dispatch do not run; removed ones do not either.
      for (const listener of [...(this.#listeners.get(event.type) ?? [])]) {
        if (listener.removed) continue;
        if (listener.once) this.removeEventListener(event.type, listener.callback, listener);
        setPassive(event, listener.passive);
        try {
          const { callback } = listener;
          if (typeof callback === "function") callback.call(this, event);
          else if (typeof callback?.handleEvent === "function") callback.handleEvent(event);
        } catch (error) {
          console.error(error);
        }
        setPassive(event, false);
        if (stoppedImmediately(event)) break;
      }
    } finally {
      endDispatch(event);
    }
    return !event.defaultPrevented;
  }

  get [Symbol.toStringTag]() {
    return "EventTarget";
  }
}

// Only this module makes signals (`new AbortSignal()` throws, as on the web).
const INTERNAL = Symbol("AbortSignal");
let abortSignal;

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #onabort = null;
  #handlerRegistered = false;

  constructor(key) {
    if (key !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
  }

  static {
    abortSignal = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason =
        reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
      signal.dispatchEvent(new Event("abort"));
    };
  }

  get aborted() {
    return this.#aborted;
  }
  get reason() {
    return this.#reason;
  }
  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }
  get onabort() {
    return this.#onabort;
  }
  set onabort(handler) {
    this.#onabort = typeof handler === "function" ? handler : null;
    // The handler takes its place among the listeners when first set.
    if (!this.#handlerRegistered) {
      this.#handlerRegistered = true;
      this.addEventListener("abort", (event) => this.#onabort?.call(this, event));
    }
  }

  /// A signal that is already aborted.
  static abort(reason) {
    const signal = new AbortSignal(INTERNAL);
    abortSignal(signal, reason);
    return signal;
  }

  /// A signal aborted with a "TimeoutError" after `ms` milliseconds.
  static timeout(ms) {
    const delay = Number(ms);
    if (!Number.isFinite(delay) || delay < 0) {
      throw new TypeError(`AbortSignal.timeout: ${ms} is not a valid number of milliseconds`);
    }
    const signal = new AbortSignal(INTERNAL);
    setTimeout(() => abortSignal(signal, new DOMException("The operation timed out.", "TimeoutError")), delay);
    return signal;
  }

  /// A signal aborted as soon as any of `signals` is, with its reason.
  static any(signals) {
    const signal = new AbortSignal(INTERNAL);
    const sources = [...signals];
    const aborted = sources.find((s) => s.aborted);
    if (aborted !== undefined) {
      abortSignal(signal, aborted.reason);
      return signal;
    }
    for (const source of sources) {
      source.addEventListener("abort", () => abortSignal(signal, source.reason), { once: true });
    }
    return signal;
  }

  get [Symbol.toStringTag]() {
    return "AbortSignal";
  }
}

export class AbortController {
  #signal = new AbortSignal(INTERNAL);
  get signal() {
    return this.#signal;
  }
  abort(reason) {
    abortSignal(this.#signal, reason);
  }
  get [Symbol.toStringTag]() {
    return "AbortController";
  }
}

/// A signal that is never aborted (a Request's default).
export function neverAborted() {
  return new AbortSignal(INTERNAL);
}

export function installEvents(g) {
  Object.assign(g, { DOMException, Event, CustomEvent, EventTarget, AbortController, AbortSignal });
}
