// object/strings.ts — str and bytes: immutable byte strings with a cached hash; interning.
//
// CPython counterparts: Objects/unicodeobject.c (unicode_hash, PyUnicode_InternInPlace,
// unicode_dealloc's removal from the interned table), Objects/bytesobject.c.
//
//   +--------+
//   | refcnt |
//   | type   |   TYPE_STR or TYPE_BYTES; OF_HASHED once hash is valid, OF_INTERNED
//   | length |   bytes of data (str: UTF-8, so not the number of code points)
//   | hash   |   cached (valid when OF_HASHED)
//   | data.. |   16 + length bytes, rounded to 8
//   +--------+
//
// The empty str and the empty bytes are immortal singletons. Interning is mortal
// (CPython 3.11's sys.intern): the intern table holds no reference, and a dying
// interned string removes itself. Immortal interned strings (attribute names) are
// made so by strImmortalize, once a use of theirs succeeded, and never die.
//
// The hash of a str/bytes is a 64-bit FNV-1a over the bytes, folded to 32 bits (the
// hash width of a 32-bit CPython; Python randomizes str hashes per process, so no
// program can depend on their values).

import {
  TYPE_STR, TYPE_BYTES, OF_HASHED, OF_INTERNED, newObject, freeObject, immortal, typeId,
  isImmortal, IMMORTAL_REFCNT, staticAlloc, fail, ERR_MEMORY,
} from "./header";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { decref } from "./refcount";

export let EMPTY_STR: usize = 0;
export let EMPTY_BYTES: usize = 0;

// @ts-ignore: decorator
@inline export function strLen(o: usize): u32 { return load<u32>(o, 8); }
// @ts-ignore: decorator
@inline export function strData(o: usize): usize { return o + 16; }
// @ts-ignore: decorator
@inline export function strSize(len: usize): usize { return (16 + len + 7) & ~7; }

export function stringsInit(): bool {
  EMPTY_STR = staticAlloc(16);
  EMPTY_BYTES = staticAlloc(16);
  for (let i = 0; i < 2; i++) {
    const o = i ? EMPTY_BYTES : EMPTY_STR;
    immortal(o);
    store<u32>(o, i ? TYPE_BYTES : TYPE_STR, 4);
    store<u32>(o, 0, 8);
    store<u32>(o, 0, 12);
  }
  return true; // the intern table is made by the first intern
}

/** A new str or bytes of len bytes, data uninitialized (the caller fills it). */
export function strAlloc(type: u32, len: u32): usize {
  if (len == 0) return type == TYPE_STR ? EMPTY_STR : EMPTY_BYTES;
  const o = newObject(type, strSize(len));
  if (!o) return 0;
  store<u32>(o, len, 8);
  return o;
}

export function strHash(o: usize): i32 {
  const t = load<u32>(o, 4);
  if (t & OF_HASHED) return load<i32>(o, 12);
  let h: u64 = 0xcbf29ce484222325;
  const p = o + 16, n = <usize>load<u32>(o, 8);
  for (let i: usize = 0; i < n; i++) {
    h ^= <u64>load<u8>(p + i);
    h *= 0x100000001b3;
  }
  let r = <i32>(h ^ (h >> 32));
  if (r == -1) r = -2;
  store<i32>(o, r, 12);
  store<u32>(o, t | OF_HASHED, 4);
  return r;
}

export function strEq(a: usize, b: usize): bool {
  const n = load<u32>(a, 8);
  if (n != load<u32>(b, 8)) return false;
  const ta = load<u32>(a, 4), tb = load<u32>(b, 4);
  if ((ta & tb & OF_HASHED) && load<i32>(a, 12) != load<i32>(b, 12)) return false;
  return memory.compare(a + 16, b + 16, n) == 0;
}

export function strDealloc(o: usize): void {
  if (load<u32>(o, 4) & OF_INTERNED) internRemove(o);
  freeObject(o);
}

// ---- the intern table: open addressing over str pointers, 0 = empty, 1 = deleted ----
let internTable: usize = 0;
let internMask: u32 = 0;
let internUsed: u32 = 0;   // live entries
let internFill: u32 = 0;   // live + deleted
export function internCount(): u32 { return internUsed; }

function internFind(o: usize, h: u32): usize {
  let i = h & internMask;
  let perturb = h;
  while (true) {
    const slot = internTable + (<usize>i << 2);
    const s = load<u32>(slot);
    if (s == 0) return 0;
    if (s != 1 && (s == <u32>o || strEq(s, o))) return s;
    perturb >>= 5;
    i = (i * 5 + 1 + perturb) & internMask;
  }
}

function internInsertSlot(h: u32): usize {
  let i = h & internMask;
  let perturb = h;
  while (true) {
    const slot = internTable + (<usize>i << 2);
    if (load<u32>(slot) <= 1) return slot;
    perturb >>= 5;
    i = (i * 5 + 1 + perturb) & internMask;
  }
}

function internGrow(): bool {
  const oldTable = internTable, oldSize = oldTable ? internMask + 1 : 0;
  let size: u32 = 64;
  while (size < (internUsed + 1) * 4) size <<= 1;   // at most a quarter full after
  const t = objMalloc(<usize>size << 2);
  if (!t) return false;
  memory.fill(t, 0, <usize>size << 2);
  internTable = t;
  internMask = size - 1;
  internFill = internUsed;
  for (let i: u32 = 0; i < oldSize; i++) {
    const s = load<u32>(oldTable + (<usize>i << 2));
    if (s > 1) store<u32>(internInsertSlot(<u32>strHash(s)), s);
  }
  if (oldTable) objFree(oldTable);
  return true;
}

/**
 * sys.intern: steals a reference to o, returns a new reference to the interned
 * string equal to o (o itself when it is the first), or 0 with ERR_MEMORY (o
 * untouched and still owned by the caller).
 */
export function strIntern(o: usize): usize {
  if (load<u32>(o, 4) & OF_INTERNED) return o;
  const h = <u32>strHash(o);
  const found = internTable ? internFind(o, h) : 0;
  if (found) {
    if (!isImmortal(found)) store<u32>(found, load<u32>(found) + 1);
    decref(o);
    return found;
  }
  if (isImmortal(o)) return o; // the empty str: immortal, never in the table
  if ((!internTable || (internFill + 1) * 3 >= (internMask + 1) * 2) && !internGrow()) return fail(ERR_MEMORY);
  const slot = internInsertSlot(h);
  if (load<u32>(slot) == 0) internFill++;
  store<u32>(slot, o);
  internUsed++;
  store<u32>(o, load<u32>(o, 4) | OF_INTERNED, 4);
  return o;
}

/**
 * Makes the interned string o immortal (an attribute name the host caches), absorbing
 * every reference to it. The host interns a new name mortally and calls this only once
 * the attribute operation that needed the name succeeded: a failed one leaves nothing.
 */
export function strImmortalize(o: usize): void {
  if (load<u32>(o, 4) & OF_INTERNED) store<u32>(o, IMMORTAL_REFCNT);
}

function internRemove(o: usize): void {
  const h = <u32>strHash(o);
  let i = h & internMask;
  let perturb = h;
  while (true) {
    const slot = internTable + (<usize>i << 2);
    const s = load<u32>(slot);
    if (s == 0) return;
    if (s == <u32>o) {
      store<u32>(slot, 1);
      if (--internUsed == 0) {
        // the last interned string died: the table goes (a heap's blocks return to what they were)
        objFree(internTable);
        internTable = 0;
        internMask = 0;
        internFill = 0;
      }
      return;
    }
    perturb >>= 5;
    i = (i * 5 + 1 + perturb) & internMask;
  }
}

// @ts-ignore: decorator
@inline export function isStr(o: usize): bool { return typeId(o) == TYPE_STR; }
