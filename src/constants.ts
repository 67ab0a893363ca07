/**
 * The engine's numbers the host needs: type ids, error codes, class flags and the
 * immortal refcount, taken from src/abi.generated.ts (generated from the compiled
 * engine: none is written here). The names of the types are the host's, keyed by
 * those ids. Every other host file may import this one.
 */
import { ENGINE_CONSTANTS as C } from "./abi.generated.js";

/** Type ids (assembly/object/header.ts). */
export const T = {
  NONE: C.TYPE_NONE, BOOL: C.TYPE_BOOL, INT: C.TYPE_INT, FLOAT: C.TYPE_FLOAT, STR: C.TYPE_STR, BYTES: C.TYPE_BYTES,
  BYTEARRAY: C.TYPE_BYTEARRAY, TUPLE: C.TYPE_TUPLE, LIST: C.TYPE_LIST, DICT: C.TYPE_DICT, SET: C.TYPE_SET,
  FROZENSET: C.TYPE_FROZENSET, MEMORYVIEW: C.TYPE_MEMORYVIEW, WEAKREF: C.TYPE_WEAKREF, PROXY: C.TYPE_PROXY,
} as const;
export const FIRST_CLASS = C.FIRST_CLASS;
/** CPython's names of the built-in types, by type id. */
export const TYPE_NAMES: string[] = [];
for (const [name, id] of [
  ["NoneType", T.NONE], ["bool", T.BOOL], ["int", T.INT], ["float", T.FLOAT], ["str", T.STR], ["bytes", T.BYTES],
  ["bytearray", T.BYTEARRAY], ["tuple", T.TUPLE], ["list", T.LIST], ["dict", T.DICT], ["set", T.SET],
  ["frozenset", T.FROZENSET], ["memoryview", T.MEMORYVIEW], ["weakref.ReferenceType", T.WEAKREF], ["weakref.ProxyType", T.PROXY],
] as const) TYPE_NAMES[id] = name;
for (let i = 0; i < C.TYPE_BUILTIN_END; i++) TYPE_NAMES[i] ??= "";
// engine error codes (ERR_* in assembly/object/errors.ts)
export const { ERR_MEMORY, ERR_INDEX, ERR_KEY, ERR_UNHASHABLE, ERR_BUFFER, ERR_RECURSION, ERR_TYPE } = C;
// class flags (TF_* in assembly/object/header.ts)
export const { TF_SLOTS, TF_DEL, TF_LEGACY_DEL, TF_WEAKREF } = C;

/** The refcount that sys.getrefcount reports for immortal objects (2**32 - 1). */
export const IMMORTAL_REFCNT = C.IMMORTAL_REFCNT;

/** heap.mem.check()'s answers by number: the names of assembly/alloc/stats.ts's CHECK_* codes. */
export const CHECK_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(C).filter(([k]) => k.startsWith("CHECK_")).map(([k, v]) => [v as number, k]),
);
