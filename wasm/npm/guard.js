// wasm-bindgen's glue throws plain `Error`s for misuse of the classes themselves: an
// argument of the wrong class ("expected instance of Workflow"; the runtime and the full
// module each have their own classes) and a freed object ("null pointer passed to rust",
// after `free()` or once a result's instance was taken). Every other error already
// crosses as a DirectrixError; `guard` makes these two one too, so a portal needs one
// `catch`. Only those plain glue errors are translated: a DirectrixError passes through.

function translate(DirectrixError, error, className) {
  if (error instanceof DirectrixError || !(error instanceof Error) || error.constructor !== Error) return error;
  const { message } = error;
  if (message.startsWith("expected instance of ")) {
    const expected = message.slice("expected instance of ".length);
    return new DirectrixError(
      "invalid_argument",
      `expected a ${expected} object created by this module (the runtime and the full module each have their own classes)`,
    );
  }
  if (message === "null pointer passed to rust") {
    return new DirectrixError(
      "freed",
      `this ${className} (or an argument) was freed, or its instance was already taken: it can no longer be used`,
    );
  }
  if (message.startsWith("recursive use of an object") || message.startsWith("attempted to take ownership")) {
    return new DirectrixError("invalid_argument", message);
  }
  return error;
}

function wrap(DirectrixError, fn, className) {
  // `arguments` rather than a rest parameter: no array per call on the index path.
  return function () {
    try {
      return fn.apply(this, arguments);
    } catch (error) {
      throw translate(DirectrixError, error, className);
    }
  };
}

// `free()` of an object already freed (or taken) does nothing, as closing twice does.
function idempotent(free) {
  return function () {
    try {
      free.call(this);
    } catch (error) {
      if (!(error instanceof Error && error.message === "null pointer passed to rust")) throw error;
    }
  };
}

/** Wraps every static and instance method and getter of each class, once, so misuse
 * throws `DirectrixError` (the module's own class). */
export function guard(DirectrixError, ...classes) {
  for (const klass of classes) {
    for (const target of [klass, klass.prototype]) {
      for (const name of Object.getOwnPropertyNames(target)) {
        if (name === "constructor" || name === "prototype" || name.startsWith("__")) continue;
        const descriptor = Object.getOwnPropertyDescriptor(target, name);
        if (name === "free" && typeof descriptor.value === "function") {
          descriptor.value = idempotent(descriptor.value);
        } else if (typeof descriptor.value === "function") {
          descriptor.value = wrap(DirectrixError, descriptor.value, klass.name);
        } else if (descriptor.get) {
          descriptor.get = wrap(DirectrixError, descriptor.get, klass.name);
        } else {
          continue;
        }
        Object.defineProperty(target, name, descriptor);
      }
    }
  }
}
