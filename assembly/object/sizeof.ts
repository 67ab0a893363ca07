// object/sizeof.ts — sys.getsizeof: the dispatch over types.
//
// CPython counterparts: object.__sizeof__ and each type's __sizeof__ (list_sizeof,
// dict_sizeof, set_sizeof, ...), plus sys.getsizeof's GC head. pyheap counts the
// bytes the object occupies in this engine (wasm32 layouts, GC head and owned buffers
// included), not CPython's 64-bit sizes: each object file owns its own figure.

import {
  TYPE_NONE, TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STR, TYPE_BYTES, TYPE_BYTEARRAY, TYPE_TUPLE, TYPE_LIST,
  TYPE_DICT, TYPE_SET, TYPE_FROZENSET, TYPE_MEMORYVIEW, TYPE_WEAKREF, TYPE_PROXY, FIRST_CLASS, typeId,
} from "./header";
import { intSize, intNdigits } from "./numbers";
import { strSize, strLen } from "./strings";
import { tupleSizeof, listSizeof } from "./sequences";
import { dictSizeof } from "./dict";
import { setSizeof } from "./set";
import { bytearraySizeof, memoryviewSizeof } from "./buffers";
import { weakrefSizeof } from "./weakref";
import { instSizeof } from "./instance";

export function sizeOf(o: usize): usize {
  const t = typeId(o);
  switch (t) {
    case TYPE_NONE: return 8;
    case TYPE_BOOL:
    case TYPE_INT: return intSize(intNdigits(o));
    case TYPE_FLOAT: return 16;
    case TYPE_STR:
    case TYPE_BYTES: return strSize(strLen(o));
    case TYPE_BYTEARRAY: return bytearraySizeof(o);
    case TYPE_TUPLE: return tupleSizeof(o);
    case TYPE_LIST: return listSizeof(o);
    case TYPE_DICT: return dictSizeof(o);
    case TYPE_SET:
    case TYPE_FROZENSET: return setSizeof(o);
    case TYPE_MEMORYVIEW: return memoryviewSizeof(o);
    case TYPE_WEAKREF:
    case TYPE_PROXY: return weakrefSizeof(o);
  }
  return t >= FIRST_CLASS ? instSizeof(o) : 0;
}
