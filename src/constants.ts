/**
 * The engine's numbers the host needs: type ids, error codes, class flags and the
 * immortal refcount, copied from the engine's sources (each names where). Nothing
 * else lives here: every other host file may import it, and it imports nothing.
 */

/** Type ids (assembly/object/header.ts). */
export const T = {
  NONE: 1, BOOL: 2, INT: 3, FLOAT: 4, STR: 5, BYTES: 6, BYTEARRAY: 7, TUPLE: 8, LIST: 9, DICT: 10,
  SET: 11, FROZENSET: 12, MEMORYVIEW: 13, WEAKREF: 14, PROXY: 15,
} as const;
export const FIRST_CLASS = 32;
export const TYPE_NAMES = [
  "", "NoneType", "bool", "int", "float", "str", "bytes", "bytearray", "tuple", "list", "dict", "set",
  "frozenset", "memoryview", "weakref.ReferenceType", "weakref.ProxyType",
];
// engine error codes (ERR_* in assembly/object/header.ts)
export const ERR_MEMORY = 1, ERR_INDEX = 2, ERR_KEY = 3, ERR_UNHASHABLE = 4, ERR_BUFFER = 5, ERR_RECURSION = 6, ERR_TYPE = 7;
// class flags (TF_* in assembly/object/header.ts)
export const TF_SLOTS = 4, TF_DEL = 8, TF_LEGACY_DEL = 16, TF_WEAKREF = 32;

/** The refcount that sys.getrefcount reports for immortal objects (2**32 - 1). */
export const IMMORTAL_REFCNT = 0xffffffff;
