// alloc/freelist.ts — the free lists of object types: freed objects kept for reuse.
//
// CPython counterparts: the free lists of Objects/floatobject.c (free_list,
// numfree), tupleobject.c (one per size below PyTuple_MAXSAVESIZE), listobject.c and
// dictobject.c (PyList_MAXFREELIST / PyDict_MAXFREELIST), and their _ClearFreeList.
//
//   FreeList (static data, 8 bytes)        a kept object (its block stays allocated)
//   +--------+-------+                     +-----------+
//   | head --+-------+-------------------> | next  ----+--> ... -> 0
//   | count  |                             | (rest of the object, stale)
//   +--------+                             +-----------+
//
// The link is the object's first word (its refcnt: a kept object is dead). Reuse from
// a free list is not an allocation and a return to it is not a free (as in CPython:
// pymalloc and gc.get_count() see neither). The debug build keeps no free lists, so a
// freed object is really gone there.
//
// Invariant: count is the length of the chain from head, at most the caller's max.

import { liveBorn, liveDied } from "./livecount";
import { objectDied, idsKept, idForget } from "./objmap";

@unmanaged export class FreeList {
  head: usize;
  count: i32;
}

/** The most recently kept object (its first word overwritten by the caller), or 0. */
// @ts-ignore: decorator
@inline export function freeListPop(fl: FreeList, type: u32, size: usize): usize {
  const o = fl.head;
  if (o) {
    fl.head = load<u32>(o);
    fl.count--;
    liveBorn(type, size);
  }
  return o;
}

/** Keeps o for reuse: true, or false when the list holds max already (free o then). */
// @ts-ignore: decorator
@inline export function freeListPush(fl: FreeList, o: usize, max: i32, type: u32, size: usize): bool {
  if (PYHEAP_DEBUG || fl.count >= max) return false;
  liveDied(type, size);
  if (idsKept) idForget(o);
  store<u32>(o, <u32>fl.head);
  fl.head = o;
  fl.count++;
  return true;
}

/** Frees every kept object; each block starts `before` bytes before the object (its GC head). */
export function freeListClear(fl: FreeList, before: usize): void {
  let o = fl.head;
  while (o) {
    const next = <usize>load<u32>(o);
    objectDied(o, o - before);
    o = next;
  }
  fl.head = 0;
  fl.count = 0;
}

/** f(o, arg) for every kept object (a snapshot skips them: they are dead). */
export function freeListEach(fl: FreeList, f: (o: usize, arg: usize) => void, arg: usize): void {
  for (let o = fl.head; o; o = <usize>load<u32>(o)) f(o, arg);
}
