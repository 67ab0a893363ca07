/**
 * The PyError family: every error pyheap raises on bad input or exhaustion.
 * Each class mirrors the Python exception a CPython user would see.
 */
export class PyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
/** An argument of the wrong type. */
export class PyTypeError extends PyError {}
/** An argument of the right type but an unacceptable value. */
export class PyValueError extends PyError {}
/** An index out of range. */
export class PyIndexError extends PyError {}
/** A missing key. */
export class PyKeyError extends PyError {}
/** Memory exhausted: the heap's maxMemory, or the engine refused to grow. */
export class PyMemoryError extends PyError {}
/** A buffer that cannot change while it is exported. */
export class PyBufferError extends PyError {}
/** Use of something that is gone: a closed heap, a released handle. */
export class PyReferenceError extends PyError {}
/** A missing attribute on an instance (Python's AttributeError). */
export class PyAttributeError extends PyError {}
/** Nesting too deep to hash or compare (Python's RecursionError). */
export class PyRecursionError extends PyError {}
/** An operation that is not allowed in the current state (Python's RuntimeError). */
export class PyRuntimeError extends PyError {}
