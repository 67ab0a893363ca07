/**
 * Python's repr: the walk over an object graph (reprObject, behind Objects.repr and
 * Ref.repr) and the reprs of the leaf types (floatRepr, strRepr, bytesRepr), as
 * CPython 3.11 prints them. It reads objects through Objects and changes nothing.
 */
import { T } from "./constants.js";
import type { Objects } from "./objects.js";

/** Python's repr, iteratively; a container met again inside itself prints as [...], {...}, (...). */
export function reprObject(o: Objects, root: number): string {
  const x = o.engine.exports;
  const out: string[] = [];
  const active = new Set<number>();
  type Task = number | string | { leave: number };
  const stack: Task[] = [root];
  while (stack.length) {
    const task = stack.pop()!;
    if (typeof task === "string") { out.push(task); continue; }
    if (typeof task === "object") { active.delete(task.leave); continue; }
    const id = task;
    const t = x.obj_type(id);
    switch (t) {
      case T.NONE: out.push("None"); continue;
      case T.BOOL: out.push(id === x.true_obj() ? "True" : "False"); continue;
      case T.INT: out.push(String(o.readInt(id))); continue;
      case T.FLOAT: out.push(floatRepr(o.engine.f64[(id + 8) >>> 3])); continue;
      case T.STR: out.push(strRepr(o.readStr(id))); continue;
      case T.BYTES: out.push(bytesRepr(o.bytesView(id))); continue;
      case T.BYTEARRAY: out.push(`bytearray(${bytesRepr(o.bytesView(id), true)})`); continue;
      case T.WEAKREF:
      case T.PROXY: {
        const target = x.weakref_get(id) >>> 0;
        const at = `0x${id.toString(16)}`;
        if (t === T.WEAKREF) out.push(target ? `<weakref at ${at}; to '${o.typeName(target)}' at 0x${target.toString(16)}>` : `<weakref at ${at}; dead>`);
        // (CPython 3.11's proxy_repr: no semicolon, no quotes)
        else out.push(`<weakproxy at ${at} to ${target ? o.typeName(target) : "NoneType"} at 0x${(target || x.none_obj()).toString(16)}>`);
        continue;
      }
      case T.MEMORYVIEW: {
        const released = o.engine.u32[(id + 20) >>> 2] & 1;
        out.push(`<${released ? "released " : ""}memory at 0x${id.toString(16)}>`);
        continue;
      }
    }
    const [open, close, recursive] =
      t === T.LIST ? ["[", "]", "[...]"] :
      t === T.TUPLE ? ["(", ")", "(...)"] :
      t === T.DICT ? ["{", "}", "{...}"] :
      t === T.SET ? ["{", "}", "set(...)"] :
      t === T.FROZENSET ? ["frozenset({", "})", "frozenset(...)"] : ["", "", ""];
    if (!open) {
      out.push(`<${o.typeName(id)} object at 0x${id.toString(16)}>`);
      continue;
    }
    if (active.has(id)) { out.push(recursive); continue; }
    const kids = o.children(id);
    if (kids.length === 0) {
      out.push(t === T.SET ? "set()" : t === T.FROZENSET ? "frozenset()" : open + close);
      continue;
    }
    active.add(id);
    const tasks: Task[] = [open];
    if (t === T.DICT) {
      for (let i = 0; i < kids.length; i += 2) {
        if (i) tasks.push(", ");
        tasks.push(kids[i], ": ", kids[i + 1]);
      }
    } else {
      kids.forEach((k, i) => {
        if (i) tasks.push(", ");
        tasks.push(k);
      });
      if (t === T.TUPLE && kids.length === 1) tasks.push(",");
    }
    tasks.push(close, { leave: id });
    for (let i = tasks.length - 1; i >= 0; i--) stack.push(tasks[i]);
  }
  return out.join("");
}

/** Python's float repr: the shortest round-trip digits, fixed between 1e-4 and 1e16. */
export function floatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mant, expText] = v.toExponential().split("e");
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let s: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) s = "0." + "0".repeat(-exp - 1) + digits;
    else if (digits.length <= exp + 1) s = digits + "0".repeat(exp + 1 - digits.length) + ".0";
    else s = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  } else {
    const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    s = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return neg ? "-" + s : s;
}

/**
 * Characters Python's str.isprintable() rejects (unicode_repr escapes them): the
 * categories Other (Cc, Cf, Cs, Co, Cn) and Separator (Zs, Zl, Zp), except the space.
 * Categories come from the JS engine's Unicode tables, which may be newer than Python's.
 */
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 0x20 || !NON_PRINTABLE.test(ch)) out += ch;
    else if (c <= 0xff) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c <= 0xffff) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += "\\U" + c.toString(16).padStart(8, "0");
  }
  return out + q;
}

/** bytes' repr; `bytearray` escapes every ' whatever the quotes (CPython's bytearray_repr does). */
function bytesRepr(b: Uint8Array, bytearray = false): string {
  let hasSingle = false, hasDouble = false;
  for (const c of b) { if (c === 0x27) hasSingle = true; else if (c === 0x22) hasDouble = true; }
  const q = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + q;
  for (const c of b) {
    if (c === q.charCodeAt(0) || c === 0x5c || (bytearray && c === 0x27)) out += "\\" + String.fromCharCode(c);
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += String.fromCharCode(c);
  }
  return out + q;
}
