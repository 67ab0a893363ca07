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
  isImmortal, IMMORTAL_REFCNT,
} from "./header";
import { fail, ERR_MEMORY } from "./errors";
import { staticAlloc } from "../alloc/static";
import { IdTable, idTableAt, ID_TABLE_BYTES, ID_DELETED, ID_EMPTY, idSlot, idFind, idReserve, idInsert, idRemove } from "../alloc/idtable";
import { decref } from "./refcount";

export let EMPTY_STR: usize = 0;
export let EMPTY_BYTES: usize = 0;

// ---- layout ----
const STR_LENGTH: usize = 8;
const STR_HASH: usize = 12;
const STR_DATA: usize = 16;

// @ts-ignore: decorator
@inline export function strLen(o: usize): u32 { return load<u32>(o, STR_LENGTH); }
// @ts-ignore: decorator
@inline export function strData(o: usize): usize { return o + STR_DATA; }
// @ts-ignore: decorator
@inline export function strSize(len: usize): usize { return (STR_DATA + len + 7) & ~7; }

export function stringsInit(): bool {
  EMPTY_STR = staticAlloc(16);
  EMPTY_BYTES = staticAlloc(16);
  for (let i = 0; i < 2; i++) {
    const o = i ? EMPTY_BYTES : EMPTY_STR;
    immortal(o);
    store<u32>(o, i ? TYPE_BYTES : TYPE_STR, 4);
    store<u32>(o, 0, STR_LENGTH);
    store<u32>(o, 0, STR_HASH);
  }
  return true; // the intern table is made by the first intern
}

/** A new str or bytes of len bytes, data uninitialized (the caller fills it). */
export function strAlloc(type: u32, len: u32): usize {
  if (len == 0) return type == TYPE_STR ? EMPTY_STR : EMPTY_BYTES;
  const o = newObject(type, strSize(len));
  if (!o) return 0;
  store<u32>(o, len, STR_LENGTH);
  return o;
}

export function strHash(o: usize): i32 {
  const t = load<u32>(o, 4);
  if (t & OF_HASHED) return load<i32>(o, STR_HASH);
  let h: u64 = 0xcbf29ce484222325;
  const p = strData(o), n = <usize>strLen(o);
  for (let i: usize = 0; i < n; i++) {
    h ^= <u64>load<u8>(p + i);
    h *= 0x100000001b3;
  }
  let r = <i32>(h ^ (h >> 32));
  if (r == -1) r = -2;
  store<i32>(o, r, STR_HASH);
  store<u32>(o, t | OF_HASHED, 4);
  return r;
}

export function strEq(a: usize, b: usize): bool {
  const n = strLen(a);
  if (n != strLen(b)) return false;
  const ta = load<u32>(a, 4), tb = load<u32>(b, 4);
  if ((ta & tb & OF_HASHED) && load<i32>(a, STR_HASH) != load<i32>(b, STR_HASH)) return false;
  return memory.compare(strData(a), strData(b), n) == 0;
}

export function strDealloc(o: usize): void {
  if (load<u32>(o, 4) & OF_INTERNED) internRemove(o);
  freeObject(o);
}

// ---- the intern table: an IdTable of str ids, probed from their hash, compared by content ----
const interned: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 4, false);
function internRehash(k: usize): u32 { return <u32>strHash(k); }
export function internCount(): u32 { return interned.used; }

/** The interned str equal to o (hash h), or 0. */
function internFind(o: usize, h: u32): usize {
  if (!interned.slots) return 0;
  let i = h & interned.mask;
  while (true) {
    const s = load<u32>(idSlot(interned, i));
    if (s == ID_EMPTY) return 0;
    if (s != ID_DELETED && (s == <u32>o || strEq(s, o))) return s;
    i = (i + 1) & interned.mask;
  }
}

/**
 * sys.intern: steals a reference to o, returns a new reference to the interned
 * string equal to o (o itself when it is the first), or 0 with ERR_MEMORY (o
 * untouched and still owned by the caller).
 */
export function strIntern(o: usize): usize {
  if (load<u32>(o, 4) & OF_INTERNED) return o;
  const h = <u32>strHash(o);
  const found = internFind(o, h);
  if (found) {
    if (!isImmortal(found)) store<u32>(found, load<u32>(found) + 1);
    decref(o);
    return found;
  }
  if (isImmortal(o)) return o; // the empty str: immortal, never in the table
  if (!idReserve(interned, 64, internRehash)) return fail(ERR_MEMORY);
  idInsert(interned, o, h);
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
  const e = idFind(interned, o, <u32>strHash(o));
  if (e) idRemove(interned, e, false);
}
