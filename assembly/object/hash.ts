// object/hash.ts — hash() and == for keys: the dispatch over types.
//
// CPython counterparts: PyObject_Hash (tp_hash of each type: long_hash, float_hash,
// unicode_hash, bytes_hash, tuplehash, frozenset_hash, _Py_HashPointer for
// instances) and PyObject_RichCompare(..., Py_EQ) as dicts and sets use it
// (identity first, then the type's equality).
//
// Hashes are CPython's of a 32-bit build (Py_hash_t is 32 bits, as in CPython's wasm32
// builds): the numeric hash mod 2**31 - 1 (object/numbers.ts), the 32-bit xxHash of
// tuples, frozenset_hash with 32-bit arithmetic; dict and set tables keep them whole.
// -1 means error.
// Tuples and frozensets nest, so hashing and comparing them recurses; the depth is
// limited to MAX_DEPTH (CPython raises RecursionError in the same places), so no
// input can overflow the wasm stack.

//
// THE TIE with sets: frozenset hashing and equality belong to object/set.ts, whose
// lookups hash and compare keys here, so this file reaches them by reference
// (setFrozensetProtocol, made by index.ts's init()): no import cycle between the two.

import {
  TYPE_NONE, TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STR, TYPE_BYTES, TYPE_TUPLE, TYPE_FROZENSET,
  TF_HASHABLE, TF_INSTANCE, typeId, flagsOf, TYPE_WEAKREF,
} from "./header";
import { fail, ERR_UNHASHABLE, ERR_RECURSION, ERR_TYPE } from "./errors";
import { intHash, floatHash, intEqInt, intEqFloat, pointerHash, floatValue } from "./numbers";
import { strHash, strEq } from "./strings";
import { seqSize, tupleItem } from "./sequences";
import { wrObject, wrHash, setWrHash } from "./weakref";

function noProtocol(a: usize, b: usize): i32 { unreachable(); return 0; }
function noHash(a: usize): i32 { unreachable(); return 0; }
let frozensetHashFn: (s: usize) => i32 = noHash;
let frozensetEqFn: (a: usize, b: usize) => i32 = noProtocol;
/** Makes the tie with object/set.ts (index.ts's init). */
export function setFrozensetProtocol(hash: (s: usize) => i32, eq: (a: usize, b: usize) => i32): void {
  frozensetHashFn = hash;
  frozensetEqFn = eq;
}

export const MAX_DEPTH: i32 = 1000;
let depth: i32 = 0;

/** Enters one level of a recursive hash or comparison: false (ERR_RECURSION) past MAX_DEPTH. */
export function enterRecursion(): bool {
  if (depth >= MAX_DEPTH) { fail(ERR_RECURSION); return false; }
  depth++;
  return true;
}
// @ts-ignore: decorator
@inline export function leaveRecursion(): void { depth--; }

/** hash(None): constant (CPython 3.12's value; 3.11 hashes None's address). */
const NONE_HASH: i32 = <i32>0xfca86420;

/** hash(o), or -1 with ERR_UNHASHABLE / ERR_RECURSION. */
export function hashOf(o: usize): i32 {
  const t = typeId(o);
  switch (t) {
    case TYPE_STR:
    case TYPE_BYTES: return strHash(o);
    case TYPE_INT:
    case TYPE_BOOL: return intHash(o);
    case TYPE_FLOAT: return floatHash(floatValue(o), o);
    case TYPE_NONE: return NONE_HASH;
    case TYPE_TUPLE: return tupleHash(o);
    case TYPE_FROZENSET: return frozensetHashFn(o);
    case TYPE_WEAKREF: return weakrefHash(o);
  }
  const f = flagsOf(t);
  if (f & TF_INSTANCE) return pointerHash(o);
  if (!(f & TF_HASHABLE)) { fail(ERR_UNHASHABLE, t); return -1; }
  return pointerHash(o);
}

/** weakref_hash: the referent's hash, cached; a weakref first hashed after death fails. */
function weakrefHash(wr: usize): i32 {
  const cached = wrHash(wr);
  if (cached != -1) return cached;
  const o = wrObject(wr);
  if (!o) { fail(ERR_TYPE, TYPE_WEAKREF); return -1; }
  const h = hashOf(o);
  if (h == -1) return -1;
  setWrHash(wr, h);
  return h;
}

// Python's tuple hash (xxHash-based, 3.8+), with the 32-bit lane constants.
const XXPRIME_1: u32 = 2654435761;
const XXPRIME_2: u32 = 2246822519;
const XXPRIME_5: u32 = 374761393;

function tupleHash(o: usize): i32 {
  if (!enterRecursion()) return -1;
  const n = seqSize(o);
  let acc = XXPRIME_5;
  for (let i = 0; i < n; i++) {
    const h = hashOf(tupleItem(o, i));
    if (h == -1) { leaveRecursion(); return -1; }
    acc += <u32>h * XXPRIME_2;
    acc = rotl<u32>(acc, 13);
    acc *= XXPRIME_1;
  }
  leaveRecursion();
  acc += <u32>n ^ (XXPRIME_5 ^ 3527539);
  return acc == <u32>-1 ? 1546275796 : <i32>acc;
}

// @ts-ignore: decorator
@inline function isNumber(t: u32): bool { return t == TYPE_INT || t == TYPE_BOOL || t == TYPE_FLOAT; }

/** a == b as dict and set lookups see it: 1, 0, or -1 (ERR_RECURSION). */
export function objEq(a: usize, b: usize): i32 {
  if (a == b) return 1;
  const ta = typeId(a), tb = typeId(b);
  if (isNumber(ta) && isNumber(tb)) {
    if (ta == TYPE_FLOAT) {
      if (tb == TYPE_FLOAT) return floatValue(a) == floatValue(b) ? 1 : 0;
      return intEqFloat(b, floatValue(a)) ? 1 : 0;
    }
    if (tb == TYPE_FLOAT) return intEqFloat(a, floatValue(b)) ? 1 : 0;
    return intEqInt(a, b) ? 1 : 0;
  }
  if (ta != tb) return 0;
  switch (ta) {
    case TYPE_STR:
    case TYPE_BYTES: return strEq(a, b) ? 1 : 0;
    case TYPE_TUPLE: return tupleEq(a, b);
    case TYPE_FROZENSET: return frozensetEqFn(a, b);
    case TYPE_WEAKREF: {
      // weakref_richcompare: the referents when both are alive, else identity (done above)
      const x = wrObject(a), y = wrObject(b);
      return x && y ? objEq(x, y) : 0;
    }
  }
  return 0;
}

function tupleEq(a: usize, b: usize): i32 {
  const n = seqSize(a);
  if (n != seqSize(b)) return 0;
  if (!enterRecursion()) return -1;
  let r = 1;
  for (let i = 0; i < n; i++) {
    const c = objEq(tupleItem(a, i), tupleItem(b, i));
    if (c != 1) { r = c; break; }
  }
  leaveRecursion();
  return r;
}
