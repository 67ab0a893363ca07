// object/errors.ts — how engine functions report failure.
//
// CPython counterpart: the thread state's current exception (PyErr_SetString,
// PyErr_NoMemory) as far as the engine needs it: a kind, and the type it concerns.
//
// Engine functions that can fail return 0 (or a negative status) and leave the reason
// in lastError / lastErrorType; the host turns it into the matching PyError
// (src/errors.ts) and clears it. The kinds are exported to the host (index.ts).

export const ERR_NONE: i32 = 0;
export const ERR_MEMORY: i32 = 1;
export const ERR_INDEX: i32 = 2;
export const ERR_KEY: i32 = 3;
export const ERR_UNHASHABLE: i32 = 4;
export const ERR_BUFFER: i32 = 5;
export const ERR_RECURSION: i32 = 6;
export const ERR_TYPE: i32 = 7;

/** The first error's kind and the type id it concerns (for messages). */
export let lastError: i32 = 0;
export let lastErrorType: u32 = 0;

// @ts-ignore: decorator
@inline export function fail(kind: i32, type: u32 = 0): usize {
  lastError = kind;
  lastErrorType = type;
  return 0;
}

export function clearError(): void {
  lastError = ERR_NONE;
  lastErrorType = 0;
}
