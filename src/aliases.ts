/**
 * pyheap's names are CPython's names in camelCase (gc.getCount, sys.getRefcount,
 * weakref.getWeakrefCount, tracemalloc.takeSnapshot). CPython's own spellings
 * (gc.get_count, sys.getrefcount, tracemalloc.take_snapshot) work too: each is the same
 * function, set on the prototype here (not enumerable); each facade declares its
 * aliases' types beside it by interface merging.
 */
export function defineAliases(cls: { prototype: object }, aliases: Record<string, string>): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const [alias, name] of Object.entries(aliases)) {
    const f = proto[name];
    if (typeof f !== "function") throw new Error(`pyheap: alias ${alias} of a missing method ${name}`);
    Object.defineProperty(proto, alias, { value: f, writable: true, configurable: true, enumerable: false });
  }
}
