// object/numbers.ts — int (arbitrary precision), bool, float: creation, hashing, equality.
//
// CPython counterparts: Objects/longobject.c (PyLong_FromLong, the small-int cache
// _PY_NSMALLNEGINTS/_PY_NSMALLPOSINTS, long_hash), Objects/boolobject.c,
// Objects/floatobject.c (the float free list, float_hash), and Python/pyhash.c
// (_Py_HashDouble). Hashes follow the documented rule for numeric types (Python's
// "Hashing of numeric types") with the parameters of CPython's 32-bit builds (its
// wasm32 builds among them): Py_hash_t is 32 bits and hash(x) = x mod P with
// P = 2**31 - 1, so that equal numbers of different types (1, 1.0, True) are the same
// dict key. The tables keep these 32-bit hashes whole: ints that differ only above
// bit 31 (i << 32) spread over the table as they do in a 32-bit CPython.
//
//   int / bool        float
//   +--------+        +--------+
//   | refcnt |        | refcnt |
//   | type   |        | type   |
//   | ndigits|        | value  |  f64 (8 bytes, 8-aligned)
//   | digit0 |        +--------+    16 bytes (CPython: 24)
//   | ...    |
//   +--------+   12 + 4 * |ndigits| bytes, rounded to 8 (one digit: 16; CPython: 28)
//
// ndigits is signed: its sign is the number's; digits are base 2**32, least
// significant first, and the most significant digit is never 0 (0 has no digits).
// Ints -5..256 are preallocated immortal singletons, as in CPython.

import { TYPE_INT, TYPE_BOOL, TYPE_FLOAT, newObject, freeObject, immortal } from "./header";
import { staticAlloc } from "../alloc/static";
import { FreeList, freeListPop, freeListPush, freeListClear, freeListEach } from "../alloc/freelist";
import { poolBlockSize } from "../alloc/livecount";

// ---- layout ----
const INT_NDIGITS: usize = 8;    // i32, signed
const INT_DIGITS: usize = 12;    // u32 digits, least significant first
const FLOAT_VALUE: usize = 8;    // f64
const FLOAT_BYTES: usize = 16;

// @ts-ignore: decorator
@inline export function intNdigits(o: usize): i32 { return load<i32>(o, INT_NDIGITS); }
// @ts-ignore: decorator
@inline export function intDigits(o: usize): usize { return o + INT_DIGITS; }
// @ts-ignore: decorator
@inline export function floatValue(o: usize): f64 { return load<f64>(o, FLOAT_VALUE); }


export const NSMALLNEG: i32 = 5;
export const NSMALLPOS: i32 = 257;
let smallInts: usize = 0;

export let TRUE_OBJ: usize = 0;
export let FALSE_OBJ: usize = 0;

export function numbersInit(): bool {
  const n = NSMALLNEG + NSMALLPOS;
  smallInts = staticAlloc(<usize>n * 16 + 32);
  for (let i = 0; i < n; i++) {
    const o = smallInts + (<usize>i << 4);
    immortal(o);
    store<u32>(o, TYPE_INT, 4);
    setSmall(o, i - NSMALLNEG);
  }
  FALSE_OBJ = smallInts + <usize>n * 16;
  TRUE_OBJ = FALSE_OBJ + 16;
  immortal(FALSE_OBJ); store<u32>(FALSE_OBJ, TYPE_BOOL, 4); setSmall(FALSE_OBJ, 0);
  immortal(TRUE_OBJ); store<u32>(TRUE_OBJ, TYPE_BOOL, 4); setSmall(TRUE_OBJ, 1);
  return true;
}

function setSmall(o: usize, v: i32): void {
  if (v == 0) { store<i32>(o, 0, INT_NDIGITS); return; }
  store<i32>(o, v < 0 ? -1 : 1, INT_NDIGITS);
  store<u32>(o, <u32>(v < 0 ? -v : v), INT_DIGITS);
}

// ---- int ------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function intSize(ndigits: i32): usize {
  const n = ndigits < 0 ? -ndigits : ndigits;
  return (INT_DIGITS + (<usize>n << 2) + 7) & ~7;
}

// @ts-ignore: decorator
@inline export function smallInt(v: i32): usize {
  return smallInts + (<usize>(v + NSMALLNEG) << 4);
}

export function intFromI32(v: i32): usize {
  if (v >= -NSMALLNEG && v < NSMALLPOS) return smallInt(v);
  const o = newObject(TYPE_INT, intSize(1));
  if (!o) return 0;
  store<i32>(o, v < 0 ? -1 : 1, INT_NDIGITS);
  store<u32>(o, <u32>(v < 0 ? -v : v), INT_DIGITS);
  return o;
}

export function intFromI64(v: i64): usize {
  if (v >= -NSMALLNEG && v < NSMALLPOS) return smallInt(<i32>v);
  const neg = v < 0;
  const m: u64 = neg ? <u64>(-v) : <u64>v; // -2**63 negates to itself, read unsigned: right
  const hi = <u32>(m >> 32);
  const n: i32 = hi ? 2 : 1;
  const o = newObject(TYPE_INT, intSize(n));
  if (!o) return 0;
  store<i32>(o, neg ? -n : n, INT_NDIGITS);
  store<u32>(o, <u32>m, INT_DIGITS);
  if (hi) store<u32>(o, hi, INT_DIGITS + 4);
  return o;
}

/** An int from n little-endian base-2**32 digits at p (leading zeros allowed). */
export function intFromDigits(p: usize, n: i32, negative: bool): usize {
  while (n > 0 && load<u32>(p + (<usize>(n - 1) << 2)) == 0) n--;
  if (n == 0) return smallInt(0);
  if (n == 1) {
    const d = load<u32>(p);
    if (d < <u32>NSMALLPOS && (!negative || d <= <u32>NSMALLNEG)) return smallInt(negative ? -<i32>d : <i32>d);
  }
  const o = newObject(TYPE_INT, intSize(n));
  if (!o) return 0;
  store<i32>(o, negative ? -n : n, INT_NDIGITS);
  memory.copy(intDigits(o), p, <usize>n << 2);
  return o;
}

/** An int equal to the integral, finite double x (the host checks both). */
export function intFromF64(x: f64): usize {
  if (x > -9.223372036854775808e18 && x < 9.223372036854775808e18) return intFromI64(<i64>x);
  // |x| >= 2**63: x = mantissa * 2**shift with shift >= 11
  const bits = reinterpret<u64>(x);
  const e = <i32>((bits >> 52) & 0x7ff);
  const mant: u64 = (bits & 0xfffffffffffff) | 0x10000000000000;
  const shift = e - 1075;
  const word = shift >> 5, bit = shift & 31;
  const n = word + 3;
  const o = newObject(TYPE_INT, intSize(n));
  if (!o) return 0;
  const d = intDigits(o);
  memory.fill(d, 0, <usize>n << 2);
  const lo = mant << <u64>bit;                         // low 64 bits of mant << bit
  const top = bit ? <u32>(mant >> <u64>(64 - bit)) : 0; // bits above them
  store<u32>(d + (<usize>word << 2), <u32>lo);
  store<u32>(d + (<usize>(word + 1) << 2), <u32>(lo >> 32));
  store<u32>(d + (<usize>(word + 2) << 2), top);
  let m = n;
  while (load<u32>(d + (<usize>(m - 1) << 2)) == 0) m--;
  store<i32>(o, x < 0 ? -m : m, INT_NDIGITS);
  return o;
}

// ---- float ------------------------------------------------------------------------
// Free list: up to FLOAT_MAXFREE dead floats, linked through their refcnt word
// (CPython 3.11: PyFloat_MAXFREELIST = 100).
export const FLOAT_MAXFREE: i32 = 100;
const floatFree = memory.data(offsetof<FreeList>(), 8);
export function floatNumFree(): i32 { return changetype<FreeList>(floatFree).count; }

export function floatNew(x: f64): usize {
  let o = freeListPop(changetype<FreeList>(floatFree), TYPE_FLOAT, poolBlockSize(FLOAT_BYTES));
  if (o) {
    store<u32>(o, 1);
  } else {
    o = newObject(TYPE_FLOAT, FLOAT_BYTES);
    if (!o) return 0;
  }
  store<f64>(o, x, FLOAT_VALUE);
  return o;
}

export function floatDealloc(o: usize): void {
  if (!freeListPush(changetype<FreeList>(floatFree), o, FLOAT_MAXFREE, TYPE_FLOAT, poolBlockSize(FLOAT_BYTES))) freeObject(o);
}

export function floatClearFreeList(): void { freeListClear(changetype<FreeList>(floatFree), 0); }
export function floatKeptEach(f: (o: usize, arg: usize) => void, arg: usize): void { freeListEach(changetype<FreeList>(floatFree), f, arg); }

// ---- hashing (Python's numeric hash, 32-bit parameters) -------------------------------
const HASH_BITS: u32 = 31;
/** _PyHASH_MODULUS of a 32-bit build: 2**31 - 1, a Mersenne prime. */
const HASH_MODULUS: u32 = 0x7fffffff;
export const HASH_INF: i32 = 314159;

/** (x * 2**k) mod P for 0 <= x < P, 0 <= k < 31: a rotation of the 31-bit word (2**31 = 1 mod P). */
// @ts-ignore: decorator
@inline function rot31(x: u32, k: u32): u32 {
  return k == 0 ? x : ((x << k) & HASH_MODULUS) | (x >> (HASH_BITS - k));
}

/** x mod P for any x < 2**62 (2**31 = 1 mod P: fold the high bits onto the low ones). */
// @ts-ignore: decorator
@inline function modP(x: u64): u32 {
  x = (x & HASH_MODULUS) + (x >> HASH_BITS);
  x = (x & HASH_MODULUS) + (x >> HASH_BITS);
  return <u32>(x >= HASH_MODULUS ? x - HASH_MODULUS : x);
}

// @ts-ignore: decorator
@inline function finish(h: u32, negative: bool): i32 {
  const r = negative ? -<i32>h : <i32>h;
  return r == -1 ? -2 : r;
}

/** hash(int): |x| mod P with x's sign (-1 becomes -2, the error value). */
export function intHash(o: usize): i32 {
  const n = intNdigits(o);
  const neg = n < 0;
  let i = neg ? -n : n;
  let h: u32 = 0;
  while (i > 0) {
    i--;
    // h * 2**32 + digit, with 2**32 = 2 mod P
    h = modP((<u64>h << 1) + <u64>load<u32>(intDigits(o) + (<usize>i << 2)));
  }
  return finish(h, neg);
}

/** hash(float): the same value as the int or fraction it equals, mod P. */
export function floatHash(x: f64, o: usize): i32 {
  if (isNaN(x)) return pointerHash(o);   // NaNs hash by identity (3.10+)
  if (!isFinite(x)) return x > 0 ? HASH_INF : -HASH_INF;
  if (x == 0) return 0;
  const bits = reinterpret<u64>(x);
  const neg = (bits >> 63) != 0;
  const e = <i32>((bits >> 52) & 0x7ff);
  let mant: u64 = bits & 0xfffffffffffff;
  let exp: i32;
  if (e == 0) exp = -1074;                 // subnormal: mant * 2**-1074
  else { mant |= 0x10000000000000; exp = e - 1075; }
  // value = mant * 2**exp; 2**31 = 1 (mod P), so 2**exp = 2**(exp mod 31)
  let k = exp % <i32>HASH_BITS;
  if (k < 0) k += <i32>HASH_BITS;
  return finish(rot31(modP(mant), <u32>k), neg);
}

/** _Py_HashPointer: the address with its alignment bits rotated away. */
// @ts-ignore: decorator
@inline export function pointerHash(o: usize): i32 {
  const h = <i32>((<u32>o >> 3) | (<u32>o << 29));
  return h == -1 ? -2 : h;
}

// ---- equality between numbers --------------------------------------------------------

/** The value of an int with at most 2 digits as i64, or false through `fits`. */
// @ts-ignore: decorator
@inline function small64(o: usize, n: i32): i64 {
  const a = n < 0 ? -n : n;
  let m: u64 = a >= 1 ? <u64>load<u32>(intDigits(o)) : 0;
  if (a == 2) m |= <u64>load<u32>(intDigits(o), 4) << 32;
  return n < 0 ? -<i64>m : <i64>m;
}

export function intEqInt(a: usize, b: usize): bool {
  const n = intNdigits(a);
  if (n != intNdigits(b)) return false;
  const len = <usize>(n < 0 ? -n : n) << 2;
  return memory.compare(intDigits(a), intDigits(b), len) == 0;
}

export function intEqFloat(a: usize, x: f64): bool {
  if (!isFinite(x) || Math.floor(x) != x) return false;
  const n = intNdigits(a);
  const an = n < 0 ? -n : n;
  if (an <= 1 || (an == 2 && load<u32>(intDigits(a), 4) < 0x80000000)) {
    if (!(x >= -9.223372036854775808e18 && x < 9.223372036854775808e18)) return false;
    return small64(a, n) == <i64>x;
  }
  if ((n < 0) != (x < 0)) return false;
  const bits = reinterpret<u64>(x);
  const e = <i32>((bits >> 52) & 0x7ff);
  const mant: u64 = (bits & 0xfffffffffffff) | 0x10000000000000;
  const shift = e - 1075;
  if (shift < 0) return small64(a, n) == <i64>x; // cannot happen for 2+ digit ints; kept for safety
  const word = shift >> 5, bit = shift & 31;
  const lo = mant << <u64>bit;
  const top = bit ? <u32>(mant >> <u64>(64 - bit)) : 0;
  const m = top ? word + 3 : word + 2 - (<u32>(lo >> 32) == 0 ? 1 : 0);
  if (an != m) return false;
  const d = intDigits(a);
  for (let i = 0; i < word; i++) if (load<u32>(d + (<usize>i << 2)) != 0) return false;
  if (load<u32>(d + (<usize>word << 2)) != <u32>lo) return false;
  if (word + 1 < an && load<u32>(d + (<usize>(word + 1) << 2)) != <u32>(lo >> 32)) return false;
  if (top && load<u32>(d + (<usize>(word + 2) << 2)) != top) return false;
  return true;
}
