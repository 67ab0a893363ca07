/**
 * The PyError family: every error pyheap raises on bad input or exhaustion.
 * Each class mirrors the Python exception a CPython user would see.
 */
export class PyError extends Error {
  constructor(message: string) {
    super(message);
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
