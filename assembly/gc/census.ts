// gc/census.ts — the debug build's reference census: every reference between live objects,
// counted, against every refcount.
//
// CPython counterpart: none in the runtime; the nearest are the debug build's
// _Py_RefTotal and gcmodule.c's update_refs/subtract_refs, whose arithmetic this repeats
// over the whole heap instead of one generation: for every live object o,
//
//     internal(o) = the references to o held by other live objects (tp_traverse),
//     external(o) = refcnt(o) - internal(o) = the references the host holds.
//
// Invariants it checks (the fuzzer's oracle): external(o) >= 0 for every mortal object
// (a refcount below its referrers is a coming use-after-free), and, once the host has
// dropped every handle, external(o) == 0 for all (anything else is a leaked reference).
// Strings interned mortally are not counted by the intern table (as in CPython 3.11),
// nor are weak references (weakrefs and proxies hold their referents weakly).
//
// Layout: one u32 count per slot of the debug registry (object/debug.ts), valid until
// the next allocation (which may grow the registry). In the release build the registry
// is empty and every census finds nothing.

import { pageAlloc, pageFree, PURPOSE_TABLE } from "../alloc/pages";
import { debugTable, debugTableSize, debugSlot } from "../object/debug";
import { isImmortal } from "../object/header";
import { traverse } from "./traverse";
import { VISIT_COUNT } from "./visit";

let counts: usize = 0;
let countsSlots: u32 = 0;

function release(): void {
  if (counts) pageFree(counts, PURPOSE_TABLE);
  counts = 0;
  countsSlots = 0;
}

/**
 * Counts every reference between live objects. Returns the number of mortal objects
 * whose refcount is lower than their referrers' references (0 in a sound heap), or -1
 * when there was no memory for the counts.
 */
export function refCensus(): i32 {
  release();
  const n = debugTableSize();
  if (!n) return 0;
  counts = pageAlloc(<usize>n << 2, PURPOSE_TABLE);
  if (!counts) return -1;
  countsSlots = n;
  memory.fill(counts, 0, <usize>n << 2);
  const t = debugTable();
  for (let i: u32 = 0; i < n; i++) {
    const o = <usize>load<u32>(t + (<usize>i << 2));
    if (o > 1) traverse(o, VISIT_COUNT, counts);
  }
  let bad = 0;
  for (let i: u32 = 0; i < n; i++) {
    const o = <usize>load<u32>(t + (<usize>i << 2));
    if (o > 1 && !isImmortal(o) && load<u32>(o) < load<u32>(counts + (<usize>i << 2))) bad++;
  }
  return bad;
}

/** external(o) from the last census: o's refcount minus its referrers' references (0 for immortals). */
export function censusExternal(o: usize): i32 {
  const slot = debugSlot(o);
  if (slot < 0 || <u32>slot >= countsSlots || isImmortal(o)) return 0;
  return <i32>(load<u32>(o) - load<u32>(counts + (<usize>slot << 2)));
}

/** The first mortal object at a registry slot >= from with external refs != 0, or 0; and where. */
export let censusNextSlot: u32 = 0;
export function censusNextHeld(from: u32): usize {
  const t = debugTable();
  for (let i = from; i < countsSlots; i++) {
    const o = <usize>load<u32>(t + (<usize>i << 2));
    if (o > 1 && !isImmortal(o) && load<u32>(o) != load<u32>(counts + (<usize>i << 2))) {
      censusNextSlot = i + 1;
      return o;
    }
  }
  censusNextSlot = countsSlots;
  return 0;
}

/** Frees the counts. */
export function censusDone(): void { release(); }
