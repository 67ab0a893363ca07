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

import {
  TYPE_NONE, TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STR, TYPE_BYTES, TYPE_TUPLE, TYPE_FROZENSET,
  TF_HASHABLE, TF_INSTANCE, typeId, flagsOf, fail, ERR_UNHASHABLE, ERR_RECURSION, TYPE_WEAKREF, ERR_TYPE,
} from "./header";
import { intHash, floatHash, intEqInt, intEqFloat, pointerHash } from "./numbers";
import { strHash, strEq } from "./strings";
import { frozensetHash, setUsed, setNext, setEntryKey, setHas } from "./set";

export const MAX_DEPTH: i32 = 1000;
let depth: i32 = 0;

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
    case TYPE_FLOAT: return floatHash(load<f64>(o, 8), o);
    case TYPE_NONE: return NONE_HASH;
    case TYPE_TUPLE: return tupleHash(o);
    case TYPE_FROZENSET: return frozensetHash(o);
    case TYPE_WEAKREF: return weakrefHash(o);
  }
  const f = flagsOf(t);
  if (f & TF_INSTANCE) return pointerHash(o);
  if (!(f & TF_HASHABLE)) { fail(ERR_UNHASHABLE, t); return -1; }
  return pointerHash(o);
}

/** weakref_hash: the referent's hash, cached; a weakref first hashed after death fails. */
function weakrefHash(wr: usize): i32 {
  const cached = load<i32>(wr, 24);
  if (cached != -1) return cached;
  const o = <usize>load<u32>(wr, 8);
  if (!o) { fail(ERR_TYPE, TYPE_WEAKREF); return -1; }
  const h = hashOf(o);
  if (h == -1) return -1;
  store<i32>(wr, h, 24);
  return h;
}

// Python's tuple hash (xxHash-based, 3.8+), with the 32-bit lane constants.
const XXPRIME_1: u32 = 2654435761;
const XXPRIME_2: u32 = 2246822519;
const XXPRIME_5: u32 = 374761393;

function tupleHash(o: usize): i32 {
  if (depth >= MAX_DEPTH) { fail(ERR_RECURSION); return -1; }
  depth++;
  const n = load<i32>(o, 8);
  let acc = XXPRIME_5;
  for (let i = 0; i < n; i++) {
    const h = hashOf(load<u32>(o + 12 + (<usize>i << 2)));
    if (h == -1) { depth--; return -1; }
    acc += <u32>h * XXPRIME_2;
    acc = rotl<u32>(acc, 13);
    acc *= XXPRIME_1;
  }
  depth--;
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
      if (tb == TYPE_FLOAT) return load<f64>(a, 8) == load<f64>(b, 8) ? 1 : 0;
      return intEqFloat(b, load<f64>(a, 8)) ? 1 : 0;
    }
    if (tb == TYPE_FLOAT) return intEqFloat(a, load<f64>(b, 8)) ? 1 : 0;
    return intEqInt(a, b) ? 1 : 0;
  }
  if (ta != tb) return 0;
  switch (ta) {
    case TYPE_STR:
    case TYPE_BYTES: return strEq(a, b) ? 1 : 0;
    case TYPE_TUPLE: return tupleEq(a, b);
    case TYPE_FROZENSET: return frozensetEq(a, b);
    case TYPE_WEAKREF: {
      // weakref_richcompare: the referents when both are alive, else identity (done above)
      const x = load<u32>(a, 8), y = load<u32>(b, 8);
      return x && y ? objEq(x, y) : 0;
    }
  }
  return 0;
}

function tupleEq(a: usize, b: usize): i32 {
  const n = load<i32>(a, 8);
  if (n != load<i32>(b, 8)) return 0;
  if (depth >= MAX_DEPTH) { fail(ERR_RECURSION); return -1; }
  depth++;
  let r = 1;
  for (let i = 0; i < n; i++) {
    const c = objEq(load<u32>(a + 12 + (<usize>i << 2)), load<u32>(b + 12 + (<usize>i << 2)));
    if (c != 1) { r = c; break; }
  }
  depth--;
  return r;
}

function frozensetEq(a: usize, b: usize): i32 {
  if (setUsed(a) != setUsed(b)) return 0;
  if (frozensetHash(a) != frozensetHash(b)) return 0;
  if (depth >= MAX_DEPTH) { fail(ERR_RECURSION); return -1; }
  depth++;
  let r = 1;
  for (let i = setNext(a, 0); i >= 0; i = setNext(a, i + 1)) {
    const c = setHas(b, setEntryKey(a, i));
    if (c != 1) { r = c; break; }
  }
  depth--;
  return r;
}
