/**
 * Ref.toJSON: what toJS gives, made JSON-friendly, iteratively (no imports at run time:
 * handles.ts uses it, and convert.ts uses handles.ts).
 */
import type { JSValue } from "./convert.js";

type JSONOut = null | boolean | number | string | JSONOut[] | { [k: string]: JSONOut };

/**
 * What Ref.toJSON gives JSON.stringify: a Map whose keys are all strings becomes an
 * object (else [key, value] pairs), a Set, tuple or bytes an array, a bigint its digits,
 * and a container met again inside itself (a cycle) the string "[...]" (Python's repr of
 * a recursive list). Shared, acyclic parts are written once per place. No recursion:
 * a deep nesting takes heap memory, not stack.
 */
export function jsonFriendly(root: JSValue): JSONOut {
  const onPath = new Set<object>();
  // each frame: the JS value being converted, its children left, where its result goes
  interface Frame { src: object; out: JSONOut[] | { [k: string]: JSONOut }; keys: (string | null)[]; kids: JSValue[]; i: number }
  const stack: Frame[] = [];
  let result: JSONOut = null;
  const leaf = (v: JSValue, put: (o: JSONOut) => void): void => {
    if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return put(v);
    if (typeof v === "bigint") return put(Number.isSafeInteger(Number(v)) ? Number(v) : v.toString());
    if (v instanceof Uint8Array) return put(Array.from(v));
    if (onPath.has(v)) return put("[...]");
    let out: JSONOut[] | { [k: string]: JSONOut };
    const keys: (string | null)[] = [];
    const kids: JSValue[] = [];
    if (Array.isArray(v)) {
      out = [];
      for (const c of v) { keys.push(null); kids.push(c); }
    } else if (v instanceof Set) {
      out = [];
      for (const c of v) { keys.push(null); kids.push(c); }
    } else if (v instanceof Map) {
      let strKeys = true;
      for (const k of v.keys()) if (typeof k !== "string") { strKeys = false; break; }
      if (strKeys) {
        out = {};
        for (const [k, c] of v) { keys.push(k as string); kids.push(c); }
      } else {
        out = [];
        for (const pair of v) { keys.push(null); kids.push(pair as unknown as JSValue); }
      }
    } else {
      out = {};
      for (const k of Object.keys(v)) { keys.push(k); kids.push((v as Record<string, JSValue>)[k]); }
    }
    put(out);
    onPath.add(v);
    stack.push({ src: v, out, keys, kids, i: 0 });
  };
  leaf(root, (o) => { result = o; });
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.i === f.kids.length) {
      onPath.delete(f.src);
      stack.pop();
      continue;
    }
    const i = f.i++;
    const k = f.keys[i];
    const kid = f.kids[i];
    if (k === null) {
      const arr = f.out as JSONOut[];
      // a [key, value] pair of a Map with non-str keys is a plain two-element array
      if (Array.isArray(kid) && f.src instanceof Map) {
        const pair: JSONOut[] = [];
        arr.push(pair);
        leaf(kid[0], (o) => { pair[0] = o; });
        leaf(kid[1], (o) => { pair[1] = o; });
        continue;
      }
      leaf(kid, (o) => { arr.push(o); });
    } else {
      const obj = f.out as { [k: string]: JSONOut };
      leaf(kid, (o) => { if (k === "__proto__") Object.defineProperty(obj, k, { value: o, writable: true, enumerable: true, configurable: true }); else obj[k] = o; });
    }
  }
  return result;
}
