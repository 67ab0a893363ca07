// alloc/static.ts — the static area: memory taken once at start-up for the engine's
// fixed tables and its immortal objects.
//
// CPython counterpart: the statically allocated objects and tables of a CPython binary
// (_Py_NoneStruct, the small ints, the type objects), which are not in any arena.
//
//   one block from the page layer (PURPOSE_TABLE), zeroed:
//   +--------------------+-------------+----------+-----------+--- ... ---+
//   | type flags u32[N]  | slots u32[N]| keys u32[N]| None, ints | ...      |
//   +--------------------+-------------+----------+-----------+--- ... ---+
//   staticTop moves up as init() hands out pieces (8-aligned); nothing is ever freed.
//
// Invariant: every piece is handed out during init(); STATIC_BYTES is large enough
// for all of them (exceeding it is a build error, caught by the first test run).

import { pageAlloc, PURPOSE_TABLE } from "./pages";

const STATIC_BYTES: usize = 128 * 1024;
let staticTop: usize = 0;
let staticEnd: usize = 0;

export function staticInit(): bool {
  const p = pageAlloc(STATIC_BYTES, PURPOSE_TABLE);
  if (!p) return false;
  memory.fill(p, 0, STATIC_BYTES);
  staticTop = p;
  staticEnd = p + STATIC_BYTES;
  return true;
}

/** n zeroed, 8-aligned bytes of the static area (start-up only). */
export function staticAlloc(n: usize): usize {
  const p = (staticTop + 7) & ~7;
  staticTop = p + n;
  assert(staticTop <= staticEnd, "STATIC_BYTES too small");
  if (staticTop > staticEnd) unreachable();
  return p;
}
