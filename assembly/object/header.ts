// object/header.ts — the object header, type ids and the type table.
//
// CPython counterparts: PyObject / PyVarObject and Py_TYPE (Include/object.h), the
// tp_flags bits a collector and a dict need (Py_TPFLAGS_HAVE_GC, tp_hash ==
// PyObject_HashNotImplemented, tp_finalize, tp_del, tp_weaklistoffset, __slots__ /
// Py_TPFLAGS_MANAGED_DICT), the immortal objects (PEP 683) and _Py_NoneStruct.
//
// Every object, 32-bit words (wasm32: a pointer is 4 bytes, half of CPython's):
//
//            +-----------+-----------+
//   (GC)     |  gc_next  |  gc_prev  |   only for container types (gc/heads.ts)
//            +-----------+-----------+
//   obj ->   |  refcnt   |   type    |   the id of an object is this address
//            +-----------+-----------+
//            | type-specific fields ...  (object/<family>.ts owns them)
//
//   type word:  bits 0..23 the type id (TYPE_* below, classes from FIRST_CLASS)
//               bits 24..31 per-object flags (OF_*)
//
// Immortal objects (None, True, False, small ints, the empty tuple, str and bytes,
// attribute names) have refcnt == IMMORTAL_REFCNT: every refcount operation tests the
// sign bit and leaves them alone (PEP 683's scheme, 3.12+).
//
// The type table: per type id (built-in types, then classes) a u32 of TF_* flags, a
// u32 "slots" word (a slotted class's slot count) and a u32 "keys" word (a plain
// class's shared keys, object/instance.ts), in the static area.
//
// Invariants kept here: a type id below ntypes has its flags set; TF_GC types are
// allocated by gc/alloc.ts with a GC head, the others by newObject without one.

import { objMalloc } from "../alloc/obmalloc";
import { staticAlloc } from "../alloc/static";
import { liveInit, liveDied } from "../alloc/livecount";
import { objectBorn, objectDied } from "../alloc/objmap";
import { debugReserve, debugRegister, debugUnregister } from "./debug";
import { ERR_MEMORY, fail } from "./errors";

// ---- type ids (exported to the host: index.ts) -------------------------------------------
export const TYPE_NONE: u32 = 1;
export const TYPE_BOOL: u32 = 2;
export const TYPE_INT: u32 = 3;
export const TYPE_FLOAT: u32 = 4;
export const TYPE_STR: u32 = 5;
export const TYPE_BYTES: u32 = 6;
export const TYPE_BYTEARRAY: u32 = 7;
export const TYPE_TUPLE: u32 = 8;
export const TYPE_LIST: u32 = 9;
export const TYPE_DICT: u32 = 10;
export const TYPE_SET: u32 = 11;
export const TYPE_FROZENSET: u32 = 12;
export const TYPE_MEMORYVIEW: u32 = 13;
export const TYPE_WEAKREF: u32 = 14;
export const TYPE_PROXY: u32 = 15;
/** One past the last built-in type id. */
export const TYPE_BUILTIN_END: u32 = 16;
/** Host-defined classes take ids from here on (object/instance.ts). */
export const FIRST_CLASS: u32 = 32;

export const TYPE_MASK: u32 = 0x00ffffff;
/** str/bytes: the hash field holds the cached hash. */
export const OF_HASHED: u32 = 1 << 24;
/** str: in the intern table (mortal interning: the table holds no reference). */
export const OF_INTERNED: u32 = 1 << 25;
/** The object has weak references (its list is in object/weakref.ts's side table). */
export const OF_WEAKREFS: u32 = 1 << 26;

export const IMMORTAL_REFCNT: u32 = 0xffffffff;

// @ts-ignore: decorator
@inline export function typeId(o: usize): u32 { return load<u32>(o, 4) & TYPE_MASK; }
// @ts-ignore: decorator
@inline export function refcnt(o: usize): u32 { return load<u32>(o); }
// @ts-ignore: decorator
@inline export function isImmortal(o: usize): bool { return <i32>load<u32>(o) < 0; }

// ---- the type table ------------------------------------------------------------------------
export const TF_GC: u32 = 1;          // has a GC head (a container type)
export const TF_HASHABLE: u32 = 2;    // usable as a dict key / set element
export const TF_SLOTS: u32 = 4;       // class with __slots__ (else attributes in shared keys + values)
export const TF_DEL: u32 = 8;         // class with a del hook (__del__, tp_finalize)
export const TF_LEGACY_DEL: u32 = 16; // class with a legacy tp_del hook
export const TF_WEAKREF: u32 = 32;    // instances accept weak references
export const TF_INSTANCE: u32 = 64;   // a host-defined class

/** Classes a heap can define, built-in types included (80 KiB of tables with the live counts). */
export const MAX_TYPES: u32 = 4096;
let typeFlags: usize = 0;   // u32[MAX_TYPES]
let typeSlots: usize = 0;   // u32[MAX_TYPES]
let typeKeys: usize = 0;    // u32[MAX_TYPES]
export let ntypes: u32 = FIRST_CLASS;

export function typesInit(): bool {
  typeFlags = staticAlloc(MAX_TYPES * 4);
  typeSlots = staticAlloc(MAX_TYPES * 4);
  typeKeys = staticAlloc(MAX_TYPES * 4);
  liveInit(staticAlloc(MAX_TYPES * 8), MAX_TYPES);
  const H = TF_HASHABLE;
  setType(TYPE_NONE, H);
  setType(TYPE_BOOL, H);
  setType(TYPE_INT, H);
  setType(TYPE_FLOAT, H);
  setType(TYPE_STR, H);
  setType(TYPE_BYTES, H);
  setType(TYPE_BYTEARRAY, 0);
  setType(TYPE_TUPLE, TF_GC | H);
  setType(TYPE_LIST, TF_GC);
  setType(TYPE_DICT, TF_GC);
  setType(TYPE_SET, TF_GC | TF_WEAKREF);
  setType(TYPE_FROZENSET, TF_GC | H | TF_WEAKREF);
  setType(TYPE_MEMORYVIEW, TF_GC | TF_WEAKREF);
  setType(TYPE_WEAKREF, TF_GC | H);
  setType(TYPE_PROXY, TF_GC);
  return true;
}

function setType(t: u32, flags: u32): void {
  store<u32>(typeFlags + (<usize>t << 2), flags);
}

/** A new class id (keys: its shared keys, 0 for a slotted class); 0 when the table is full. */
export function defineType(flags: u32, nslots: u32, keys: usize): u32 {
  if (ntypes >= MAX_TYPES) return 0;
  const t = ntypes++;
  store<u32>(typeFlags + (<usize>t << 2), flags | TF_GC | TF_HASHABLE | TF_INSTANCE);
  store<u32>(typeSlots + (<usize>t << 2), nslots);
  store<u32>(typeKeys + (<usize>t << 2), <u32>keys);
  return t;
}

// @ts-ignore: decorator
@inline export function flagsOf(t: u32): u32 { return load<u32>(typeFlags + (<usize>t << 2)); }
// @ts-ignore: decorator
@inline export function slotsOf(t: u32): u32 { return load<u32>(typeSlots + (<usize>t << 2)); }
// @ts-ignore: decorator
@inline export function keysOf(t: u32): usize { return load<u32>(typeKeys + (<usize>t << 2)); }
// @ts-ignore: decorator
@inline export function isGC(o: usize): bool { return (flagsOf(typeId(o)) & TF_GC) != 0; }

// ---- objects without a GC head ------------------------------------------------------------
/** A new object with refcnt 1 and the given type, or 0 (ERR_MEMORY). */
// @ts-ignore: decorator
@inline export function newObject(type: u32, size: usize): usize {
  if (PYHEAP_DEBUG && !debugReserve()) return fail(ERR_MEMORY);
  const p = objMalloc(size);
  if (!p) return fail(ERR_MEMORY);
  store<u32>(p, 1);
  store<u32>(p, type, 4);
  if (!objectBorn(type, size, p, p)) return fail(ERR_MEMORY);   // (p freed)
  if (PYHEAP_DEBUG) debugRegister(p);
  return p;
}

// @ts-ignore: decorator
@inline export function freeObject(o: usize): void {
  if (PYHEAP_DEBUG) debugUnregister(o);
  const type = typeId(o);  // (read before the block is freed)
  liveDied(type, objectDied(o, o));
}

// ---- immortal objects -----------------------------------------------------------------------
// (True, False and the small ints: object/numbers.ts; the empty str/bytes: object/strings.ts;
// the empty tuple: object/sequences.ts)
export let NONE: usize = 0;

export function noneInit(): bool {
  NONE = staticAlloc(8);
  immortal(NONE);
  store<u32>(NONE, TYPE_NONE, 4);
  return true;
}

export function immortal(o: usize): usize {
  store<u32>(o, IMMORTAL_REFCNT);
  if (PYHEAP_DEBUG) { if (debugReserve()) debugRegister(o); else unreachable(); } // start-up: the first table has room
  return o;
}
