/**
 * Canonical keys: a string per value such that two values are equal as Python dict
 * keys (and set members) exactly when their canonical keys are equal. The fuzzer's
 * JS-side models of dicts and sets are sets of these strings.
 *
 *   1 == 1.0 == True, 0 == -0.0 == False, ints compare exactly with floats
 *   ("n:<exact integer>"); other floats by value ("f:"); str ("s:") and bytes ("b:")
 *   by contents; tuples and frozensets structurally; instances by identity ("id:").
 *
 * UNHASHABLE: the engine must refuse the key (PyTypeError). OPAQUE: the model cannot
 * say (NaN float objects compare by identity but can reach a container behind the
 * model's back; weakrefs' equality changes when their referent dies): a container
 * that receives one stops checking its keys until it is cleared.
 */
import { Ref, type PyValue } from "../../src/node.js";

export const UNHASHABLE = "!unhashable";
export const OPAQUE = "!opaque";
export const RELEASED = "!released";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { ignoreBOM: true });
/** What a JS string becomes in the heap (lone surrogates turn into U+FFFD). */
export const asStored = (s: string): string => dec.decode(enc.encode(s));

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
let freshNan = 0;

function number(v: number): string {
  if (Number.isNaN(v)) return `nan:${freshNan++}`; // a new float object equal to nothing
  return Number.isInteger(v) ? `n:${BigInt(v)}` : `f:${v}`;
}

const MUTABLE = new Set(["list", "dict", "set", "bytearray", "memoryview", "weakref.ProxyType"]);
const BUILTIN = new Set([
  "NoneType", "bool", "int", "float", "str", "bytes", "bytearray", "tuple", "list", "dict", "set", "frozenset",
  "memoryview", "weakref.ReferenceType", "weakref.ProxyType",
]);

function combine(open: string, parts: string[], close: string): string {
  if (parts.includes(UNHASHABLE)) return UNHASHABLE;
  if (parts.includes(OPAQUE) || parts.includes(RELEASED)) return OPAQUE;
  return open + parts.join(",") + close;
}

/** The items of a tuple or frozenset handle, canonicalized (the handles it yields are released). */
function items(r: Ref, depth: number): string[] {
  const out: string[] = [];
  for (const item of r) {
    const x = item as Ref;
    out.push(canonRef(x, depth + 1));
    x.release();
  }
  return out;
}

export function canonRef(r: Ref, depth = 0): string {
  if (!r.alive) return RELEASED;
  const t = r.type;
  if (!BUILTIN.has(t)) return `id:${r.id}`; // instances of host classes: identity
  if (MUTABLE.has(t)) return UNHASHABLE;
  if (depth > 60) return OPAQUE; // (the engine's recursion limit is the hostile ops' business)
  switch (t) {
    case "NoneType": return "None";
    case "bool": return r.toJS() ? "n:1" : "n:0";
    case "int": return `n:${BigInt(r.toJS() as number | bigint)}`;
    case "float": {
      const v = r.toJS() as number;
      return Number.isNaN(v) ? OPAQUE : number(v);
    }
    case "str": return `s:${r.toJS() as string}`;
    case "bytes": return `b:${hex(r.toJS() as Uint8Array)}`;
    case "tuple": return combine("t(", items(r, depth), ")");
    case "frozenset": return combine("fs{", items(r, depth).sort(), "}");
    default: return OPAQUE; // weakref.ReferenceType
  }
}

/** Canonical key of a PyValue, or of a JS value given to heap.from(). */
export function canon(v: unknown): string {
  if (v instanceof Ref) return canonRef(v);
  switch (typeof v) {
    case "boolean": return v ? "n:1" : "n:0";
    case "number": return number(v);
    case "bigint": return `n:${v}`;
    case "string": return `s:${asStored(v)}`;
  }
  if (v === null) return "None";
  if (v instanceof Uint8Array) return `b:${hex(v)}`;
  return UNHASHABLE; // arrays, maps, sets, plain objects become mutable containers
}

/** Is this canonical key usable for a membership prediction? */
export const predictable = (k: string): boolean => !k.startsWith("!") && !k.startsWith("nan:");

export type { PyValue };
