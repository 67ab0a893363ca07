#!/usr/bin/env node
// Writes the oracle's traces: tests/oracle/traces/{test_gc,test_weakref,scenarios,shared_keys,generated}.json.
// The generated traces come from a seeded PRNG (same seed, same traces); run
// `npm run oracle` to regenerate them and CPython's golden results.
//
// The generator keeps a model of every object's contents (what the trace itself put
// there), so that every step is valid Python: indices in range, hashable keys,
// attributes that exist. It does not model the collector: observations are CPython's.
//
// Rules that keep the two runs comparable (tests/oracle/README.md):
//   - a set or frozenset holds at most one object (its other elements are atoms): the
//     order of a set's elements depends on their hashes, which are addresses;
//   - a plain instance gets its attributes in the order a, b, c, d (CPython 3.11 visits
//     them in the order of the class's shared keys, pyheap in the instance's order);
//   - dict keys are atoms or instances (identity equality only);
//   - tuples and frozensets are never empty.
import { mkdirSync, writeFileSync } from "node:fs";
import { testGc, testWeakref, scenarios, sharedKeys } from "./scenarios.mjs";

const SEED = 0x5eed_0c11;
const COUNT = 320;
// then the traces with weak references (gen_320 on): the same motifs and weakref motifs
const WEAK_COUNT = 160;
const CLASSES = ["Plain", "Slots", "Del", "DelSlots", "Lazarus", "Legacy"];
/** Every class (checks); WSlots (slotted with __weakref__) is made only by weakref traces. */
const ALL_CLASSES = [...CLASSES, "WSlots"];
const SLOTTED = new Set(["Slots", "DelSlots", "WSlots"]);
/** The types whose objects accept weak references. */
const WEAKREFABLE = new Set(["Plain", "Del", "Lazarus", "Legacy", "WSlots", "set", "frozenset"]);
const ATTRS = ["a", "b", "c", "d"];
const SLOTS = ["a", "b", "c"];
const SAVEALL = 32;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isRef = (v) => v !== null && typeof v === "object" && "o" in v;
const atomEq = (a, b) => (typeof a === "number" || a === null ? a === b : typeof b === "object" && b !== null && "s" in b && a.s === b.s);
const valEq = (a, b) => (isRef(a) || isRef(b) ? isRef(a) && isRef(b) && a.o === b.o : atomEq(a, b));

class Builder {
  constructor(name, seed, weak = false) {
    this.name = name;
    this.r = mulberry32(seed);
    // weakref traces: WSlots instances, weakref motifs; get_count() stays out of traces
    // that use weakref.finalize or the weak containers (Lib/weakref.py's objects allocate)
    this.weak = weak;
    this.noCount = false;
    this.watched = 0;
    this.fins = [];          // finalize names
    this.containers = [];    // [name, type] of weak containers
    this.steps = [];
    this.objs = new Map(); // id -> model object
    this.names = new Map(); // trace name -> id
    this.nextId = 0;
    this.nextName = 0;
    this.saveall = false;
    this.frozen = false;
  }

  // ---- randomness ----
  rand() { return this.r(); }
  int(lo, hi) { return lo + Math.floor(this.r() * (hi - lo + 1)); }
  chance(p) { return this.r() < p; }
  pick(arr) { return arr[Math.floor(this.r() * arr.length)]; }
  shuffle(arr) {
    const a = [...arr];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.r() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  atom() {
    const k = this.r();
    if (k < 0.6) return this.int(0, 99);
    if (k < 0.9) return { s: this.pick(["k", "x", "y", "z", "key", "w"]) };
    return null;
  }

  // ---- the model ----
  obj(name) { return this.objs.get(this.names.get(name)); }
  live() { return [...this.names.keys()]; }
  fresh(prefix = "o") { return `${prefix}${this.nextName++}`; }
  /** A trace value (name or atom) -> a model value. */
  mv(v) { return typeof v === "string" ? { o: this.names.get(v) } : v; }
  hashable(v) {
    if (typeof v !== "string") return true;
    const o = this.obj(v);
    return o.hashable;
  }
  isInstance(name) { return ALL_CLASSES.includes(this.obj(name).type); }
  emit(step) { this.steps.push(step); }

  create(type, init = []) {
    const name = this.fresh();
    const id = this.nextId++;
    const o = { id, type, items: [], entries: [], attrs: new Map(), hashable: true };
    const step = { op: "new", name, type };
    if (type === "list" || type === "set" || type === "tuple" || type === "frozenset") {
      step.items = init;
      o.items = init.map((v) => this.mv(v));
      if (type === "list" || type === "set") o.hashable = false;
      if (type === "tuple") o.hashable = init.every((v) => this.hashable(v));
    } else if (type === "dict") {
      step.entries = init;
      o.entries = init.map(([k, v]) => [this.mv(k), this.mv(v)]);
      o.hashable = false;
    } else {
      step.attrs = init;
      for (const [a, v] of init) o.attrs.set(a, this.mv(v));
    }
    if (step.items?.length === 0) delete step.items;
    if (step.entries?.length === 0) delete step.entries;
    if (step.attrs?.length === 0) delete step.attrs;
    this.objs.set(id, o);
    this.names.set(name, id);
    this.emit(step);
    return name;
  }

  del(name) {
    if (!this.names.has(name)) return;
    this.names.delete(name);
    this.emit({ op: "del", name });
  }
  delAll(names) { for (const n of this.shuffle(names)) if (this.names.has(n)) this.del(n); }

  /** Can `target` get a reference to value v (a name or an atom)? Which way? */
  linkable(target) {
    const o = this.obj(target);
    if (o.type === "list" || o.type === "dict") return true;
    if (o.type === "set") return true;
    return ALL_CLASSES.includes(o.type);
  }

  /** target -> v, by the natural operation of target's type; false when it cannot. */
  link(target, v) {
    const o = this.obj(target);
    const mv = this.mv(v);
    switch (o.type) {
      case "list": {
        if (o.items.length && this.chance(0.25)) {
          const i = this.int(0, o.items.length - 1);
          o.items[i] = mv;
          this.emit({ op: "setitem", target, key: i, value: v });
        } else {
          o.items.push(mv);
          this.emit({ op: "append", target, value: v });
        }
        return true;
      }
      case "dict": {
        let key;
        const instKeys = this.live().filter((n) => this.isInstance(n));
        if (instKeys.length && this.chance(0.2)) key = this.pick(instKeys);
        else key = this.chance(0.5) ? { s: this.pick(["k", "x", "y", "key", "w", "v"]) } : this.int(0, 20);
        const mk = this.mv(key);
        const e = o.entries.find(([k]) => valEq(k, mk));
        if (e) e[1] = mv;
        else o.entries.push([mk, mv]);
        this.emit({ op: "setitem", target, key, value: v });
        return true;
      }
      case "set": {
        if (!this.hashable(v)) return false;
        if (isRef(mv)) {
          if (o.items.some(isRef)) return false; // at most one object per set
        } else if (o.items.some((x) => valEq(x, mv))) return true;
        o.items.push(mv);
        this.emit({ op: "add", target, value: v });
        return true;
      }
      default: {
        if (!ALL_CLASSES.includes(o.type)) return false;
        let attr;
        if (SLOTTED.has(o.type)) attr = this.pick(SLOTS);
        else {
          // an attribute it has, or one after all it has (a, b, c, d order)
          const have = [...o.attrs.keys()];
          const last = have.length ? Math.max(...have.map((a) => ATTRS.indexOf(a))) : -1;
          const choices = [...have, ...ATTRS.slice(last + 1)];
          if (!choices.length) return false;
          attr = this.pick(choices);
        }
        o.attrs.set(attr, mv);
        this.emit({ op: "setattr", target, attr, value: v });
        return true;
      }
    }
  }

  /** Removes one reference held by target (any); false when it holds none. */
  unlink(target) {
    const o = this.obj(target);
    switch (o.type) {
      case "list": {
        if (!o.items.length) return false;
        const k = this.rand();
        if (k < 0.15) {
          o.items = [];
          this.emit({ op: "clear", target });
        } else if (k < 0.6) {
          const i = this.int(0, o.items.length - 1);
          const neg = this.chance(0.3);
          o.items.splice(i, 1);
          this.emit({ op: "delitem", target, key: neg ? i - o.items.length - 1 : i });
        } else if (this.chance(0.5)) {
          o.items.pop();
          this.emit({ op: "pop", target });
        } else {
          const i = this.int(0, o.items.length - 1);
          o.items.splice(i, 1);
          this.emit({ op: "pop", target, index: i });
        }
        return true;
      }
      case "dict": {
        if (!o.entries.length) return false;
        const candidates = o.entries.filter(([k]) => !isRef(k) || [...this.names.values()].includes(k.o));
        if (!candidates.length || this.chance(0.15)) {
          o.entries = [];
          this.emit({ op: "clear", target });
          return true;
        }
        const [k] = this.pick(candidates);
        const key = isRef(k) ? [...this.names].find(([, id]) => id === k.o)[0] : k;
        o.entries = o.entries.filter((e) => !valEq(e[0], k));
        this.emit({ op: "delitem", target, key });
        return true;
      }
      case "set": {
        if (!o.items.length) return false;
        o.items = [];
        this.emit({ op: "clear", target });
        return true;
      }
      default: {
        if (!ALL_CLASSES.includes(o.type) || !o.attrs.size) return false;
        const attr = this.pick([...o.attrs.keys()]);
        o.attrs.delete(attr);
        this.emit({ op: "delattr", target, attr });
        return true;
      }
    }
  }

  /** The objects a container holds (model values). */
  refsOf(o) {
    const out = [];
    for (const v of o.items) if (isRef(v)) out.push(v.o);
    for (const [k, v] of o.entries) {
      if (isRef(v)) out.push(v.o);
      if (isRef(k)) out.push(k.o);
    }
    for (const v of o.attrs.values()) if (isRef(v)) out.push(v.o);
    return out;
  }

  /** name = <one of target's references> (a step of a Python program walking a structure). */
  loadFrom(target) {
    const o = this.obj(target);
    const opts = [];
    if (o.type === "list" || o.type === "tuple") o.items.forEach((v, i) => isRef(v) && opts.push({ key: i, id: v.o }));
    if (o.type === "dict") {
      for (const [k, v] of o.entries) {
        if (!isRef(v)) continue;
        if (!isRef(k)) opts.push({ key: k, id: v.o });
      }
    }
    if (ALL_CLASSES.includes(o.type)) for (const [a, v] of o.attrs) if (isRef(v)) opts.push({ attr: a, id: v.o });
    if (!opts.length) return undefined;
    const c = this.pick(opts);
    const name = this.fresh("n");
    this.names.set(name, c.id);
    this.emit("attr" in c ? { op: "load", name, from: target, attr: c.attr } : { op: "load", name, from: target, key: c.key });
    return name;
  }

  // ---- observations ----
  query() {
    const live = this.live();
    const k = this.rand();
    if (live.length && k < 0.45) {
      const n = this.pick(live);
      const op = this.pick(["is_tracked", "is_tracked", "refcount", "refcount", "is_finalized"]);
      this.emit({ op, name: n });
    } else if (k < 0.65) this.emit({ op: this.noCount ? "get_stats" : "get_count" });
    else if (k < 0.8) this.emit({ op: "get_stats" });
    else if (k < 0.9) this.emit({ op: this.pick(["garbage", "garbage_len"]) });
    else this.emit({ op: "resurrected" });
  }
  queries(n) { for (let i = 0; i < n; i++) this.query(); }
  collect(gen) {
    this.emit(gen === undefined ? { op: "collect" } : { op: "collect", gen });
  }
  randomCollect() {
    const k = this.rand();
    this.collect(k < 0.4 ? 0 : k < 0.6 ? 1 : k < 0.9 ? 2 : undefined);
  }

  // ---- node kinds ----
  classKind(weights) {
    const w = weights ?? (this.weak
      ? { Plain: 3, Slots: 1, Del: 3, DelSlots: 1, Lazarus: 1, Legacy: 1, WSlots: 2 }
      : { Plain: 3, Slots: 2, Del: 3, DelSlots: 1, Lazarus: 1, Legacy: 1 });
    const total = Object.values(w).reduce((a, b) => a + b, 0);
    let x = this.rand() * total;
    for (const [c, n] of Object.entries(w)) if ((x -= n) < 0) return c;
    return "Plain";
  }
  // ---- weak references ----
  weakrefable(name) { return WEAKREFABLE.has(this.obj(name).type); }
  /** A live object that accepts weak references (hashable: for weak keys and sets), or a new one. */
  weakTarget(hashable = false) {
    const ok = (n) => this.weakrefable(n) && (!hashable || this.obj(n).type !== "set");
    const live = this.live().filter(ok);
    if (live.length && this.chance(0.55)) return this.pick(live);
    const k = this.pick(["Plain", "Plain", "Del", "Del", "Lazarus", "Legacy", "WSlots", "WSlots", "set", "frozenset"]);
    if (k === "frozenset") return this.create("frozenset", [this.int(0, 9), ...(this.chance(0.4) ? [{ s: "x" }] : [])]);
    if (k === "set") return hashable ? this.create("Plain") : this.create("set", this.chance(0.6) ? [this.int(0, 9)] : []);
    return this.create(k);
  }
  /** name = weakref.ref(target[, callback]) or weakref.proxy(...). */
  weakref(target, proxy = false, callback = this.chance(0.7)) {
    const name = this.fresh(proxy ? "p" : "w");
    const id = this.nextId++;
    const t = this.obj(target).type;
    this.objs.set(id, { id, type: proxy ? "proxy" : "weakref", items: [], entries: [], attrs: new Map(), hashable: false, targetType: t });
    this.names.set(name, id);
    const step = { op: proxy ? "proxy" : "weakref", name, target };
    if (callback) step.callback = true;
    this.emit(step);
    return name;
  }
  /** Uses a proxy: len() of a set, hasattr() of an instance (ReferenceError once dead). */
  use(p) {
    const t = this.obj(p).targetType;
    if (t === "set" || t === "frozenset") this.emit({ op: "use", name: p });
    else this.emit({ op: "use", name: p, attr: this.pick(["a", "b", "c"]) });
  }
  /** A query about live weak references: referents, counts, proxies. */
  weakQuery() {
    const refs = this.live().filter((n) => this.obj(n).type === "weakref");
    const proxies = this.live().filter((n) => this.obj(n).type === "proxy");
    const targets = this.live().filter((n) => this.weakrefable(n));
    const k = this.rand();
    if (refs.length && k < 0.5) this.emit({ op: "deref", name: this.pick(refs) });
    else if (proxies.length && k < 0.7) this.use(this.pick(proxies));
    else if (targets.length && k < 0.85) this.emit({ op: "weakrefcount", name: this.pick(targets) });
    else if (this.fins.length) this.emit({ op: this.pick(["fin_alive", "fin_peek"]), name: this.pick(this.fins) });
    else if (this.containers.length) this.emit({ op: "weak_len", name: this.pick(this.containers)[0] });
    else if (refs.length) this.emit({ op: "deref", name: this.pick(refs) });
  }

  /** A mutable node that can hold a reference: list, dict, set or instance. */
  mutableKind(opts = {}) {
    const k = this.rand();
    if (k < 0.22) return "list";
    if (k < 0.36) return "dict";
    if (k < 0.42 && !opts.noSet) return "set";
    return this.classKind(opts.weights);
  }
}

// ---- motifs: each builds a structure, links it, maybe drops names -----------------------
const motifs = {
  selfLoop(b) {
    const kind = b.pick(["list", "dict", ...CLASSES, ...(b.weak ? ["WSlots"] : [])]);
    const n = b.create(kind);
    b.link(n, n);
    if (b.chance(0.3)) b.queries(1);
    if (b.chance(0.8)) b.del(n);
  },

  ring(b, size) {
    const n = size ?? b.int(2, b.chance(0.2) ? 30 : 8);
    // node i refers to node i+1; the last node refers to node 0 and must be mutable
    const kinds = Array.from({ length: n }, (_, i) => (i < n - 1 && b.chance(0.2) ? b.pick(["tuple", "frozenset"]) : b.mutableKind()));
    const names = new Array(n);
    for (let i = n - 1; i >= 0; i--) {
      const k = kinds[i];
      if (k === "tuple") names[i] = b.create("tuple", [names[i + 1], ...(b.chance(0.5) ? [b.atom()] : [])]);
      else if (k === "frozenset") {
        if (b.hashable(names[i + 1])) names[i] = b.create("frozenset", [names[i + 1], b.int(0, 9)]);
        else names[i] = b.create("list", [names[i + 1]]);
      } else names[i] = b.create(k);
    }
    for (let i = 0; i < n; i++) {
      const o = b.obj(names[i]);
      if (o.type === "tuple" || o.type === "frozenset" || (o.type === "list" && o.items.length)) continue;
      const next = names[(i + 1) % n];
      if (!b.link(names[i], next)) {
        // a set cannot hold an unhashable next: route through an instance
        const via = b.create("Plain");
        b.link(via, next);
        b.link(names[i], via);
        b.del(via);
      }
    }
    if (b.chance(0.3)) b.queries(b.int(1, 2));
    const keep = b.chance(0.3) ? b.pick(names) : undefined;
    b.delAll(names.filter((x) => x !== keep));
    return keep;
  },

  chain(b) {
    const n = b.int(2, 10);
    const names = [];
    for (let i = 0; i < n; i++) names.push(b.create(b.mutableKind({ noSet: true })));
    for (let i = 0; i < n - 1; i++) b.link(names[i], names[i + 1]);
    // a lasso: the end links back into the chain
    if (b.chance(0.6)) b.link(names[n - 1], names[b.int(0, n - 1)]);
    const head = names[0];
    b.delAll(names.slice(1));
    if (b.chance(0.5)) b.queries(1);
    if (b.chance(0.6)) b.del(head);
    else return head;
  },

  tree(b) {
    const depth = b.int(1, 3);
    const branching = b.int(1, 3);
    const root = b.create(b.mutableKind({ noSet: true }));
    const all = [root];
    let level = [root];
    for (let d = 0; d < depth; d++) {
      const next = [];
      for (const parent of level) {
        for (let i = 0; i < branching; i++) {
          const child = b.create(b.mutableKind({ noSet: true }));
          b.link(parent, child);
          // back links: to the parent, to the root, or none
          const k = b.rand();
          if (k < 0.35) b.link(child, parent);
          else if (k < 0.55) b.link(child, root);
          next.push(child);
          all.push(child);
        }
      }
      level = next;
    }
    if (b.chance(0.3)) b.queries(1);
    const keep = b.chance(0.25) ? root : undefined;
    b.delAll(all.filter((n) => n !== keep));
    return keep;
  },

  /** A hub holding several finalizable objects: the order of their hooks is the order of traversal. */
  fan(b) {
    const k = b.int(2, 7);
    const kids = [];
    for (let i = 0; i < k; i++) kids.push(b.create(b.classKind({ Del: 4, DelSlots: 2, Lazarus: 1, Legacy: 0.5, Plain: 1 })));
    const hubKind = b.pick(["list", "list", "dict", "tuple", "Plain", "Slots", "Del"]);
    let hub;
    if (hubKind === "tuple") hub = b.create("tuple", kids);
    else if (hubKind === "dict") {
      hub = b.create("dict");
      for (const c of kids) {
        // keys: another kid (dict_traverse visits each value, then its key) or atoms
        const other = kids[(kids.indexOf(c) + 1) % kids.length];
        const key = b.chance(0.4) ? other : b.chance(0.5) ? { s: `k${kids.indexOf(c)}` } : kids.indexOf(c) + 10;
        const o = b.obj(hub);
        const mk = b.mv(key);
        if (!o.entries.some(([x]) => valEq(x, mk))) {
          o.entries.push([mk, b.mv(c)]);
          b.emit({ op: "setitem", target: hub, key, value: c });
        }
      }
    } else {
      hub = b.create(hubKind);
      for (const c of kids) b.link(hub, c);
    }
    // back links make the cycle (else the hub links itself)
    let back = false;
    for (const c of kids) if (b.chance(0.5)) back = b.link(c, hub) || back;
    if (!back && !b.link(kids[0], hub)) b.link(hub, hub);
    b.delAll(kids);
    // a collection while only the hub is named: the kids, older than the hub, are moved
    // back to the young list in traversal order, the order of their hooks later
    if (b.chance(0.6)) b.collect(b.int(0, 1));
    b.del(hub);
    if (b.chance(0.7)) b.randomCollect();
  },

  tupleCycle(b) {
    const l = b.create("list");
    const t = b.create("tuple", [l, ...(b.chance(0.5) ? [b.atom()] : [])]);
    const t2 = b.chance(0.4) ? b.create("tuple", [t, b.int(0, 9)]) : t;
    b.link(l, t2);
    if (b.chance(0.5)) b.emit({ op: "is_tracked", name: t });
    b.delAll(t2 === t ? [l, t] : [l, t, t2]);
  },

  dictCycle(b) {
    const d = b.create("dict");
    const o = b.create(b.classKind());
    b.link(d, o);
    b.link(o, d);
    if (b.chance(0.4)) b.emit({ op: "is_tracked", name: d });
    b.delAll([d, o]);
  },

  resurrection(b) {
    const z = b.create("Lazarus");
    const k = b.rand();
    const extra = [];
    if (k < 0.4) b.link(z, z);
    else if (k < 0.8) {
      const cargo = b.create(b.mutableKind({ noSet: true }));
      b.link(z, cargo);
      b.link(cargo, z);
      extra.push(cargo);
    }
    // else: alone, resurrected on refcount death
    b.delAll([z, ...extra]);
    if (b.chance(0.6)) b.randomCollect();
    if (b.chance(0.5)) b.emit({ op: "resurrected" });
    if (b.chance(0.4)) b.emit({ op: "clear", target: "@resurrect" });
  },

  legacy(b) {
    const g = b.create("Legacy");
    const k = b.rand();
    const extra = [];
    if (k < 0.35) b.link(g, g); // uncollectable
    else if (k < 0.7) {
      // reachable from a cycle, not part of it: collectable
      const l = b.create(b.chance(0.5) ? "list" : "Plain");
      b.link(l, l);
      b.link(l, g);
      extra.push(l);
    } else {
      // reaches a cycle with finalizers: all uncollectable, no __del__ runs
      const x = b.create(b.classKind({ Del: 2, Plain: 1, Lazarus: 1 }));
      b.link(g, x);
      b.link(x, g);
      extra.push(x);
    }
    b.delAll([g, ...extra]);
    if (b.chance(0.5)) {
      b.randomCollect();
      b.emit({ op: b.pick(["garbage", "garbage_len"]) });
    }
  },

  generations(b) {
    // garbage made while named survives young collections into older generations
    const n = b.create(b.mutableKind({ noSet: true }));
    b.link(n, n);
    b.collect(b.int(0, 1));
    if (b.chance(0.5)) b.emit({ op: "get_count" });
    b.del(n);
    for (const g of b.shuffle([0, 1, 2]).slice(0, b.int(1, 3))) {
      b.collect(g);
      if (b.chance(0.4)) b.emit({ op: b.pick(["get_count", "get_stats"]) });
    }
  },

  freeze(b) {
    if (b.frozen) {
      b.emit({ op: "unfreeze" });
      b.frozen = false;
      return;
    }
    const made = [];
    for (let i = b.int(0, 2); i > 0; i--) {
      const n = b.create(b.mutableKind({ noSet: true }));
      b.link(n, n);
      made.push(n);
    }
    b.emit({ op: "freeze" });
    b.frozen = true;
    if (b.chance(0.3)) b.emit({ op: "frozen" });
    b.delAll(made);
    if (b.chance(0.6)) b.randomCollect();
    if (b.chance(0.5)) b.emit({ op: "get_count" });
    if (b.chance(0.7)) {
      b.emit({ op: "unfreeze" });
      b.frozen = false;
    }
  },

  saveall(b) {
    b.saveall = !b.saveall;
    b.emit({ op: "set_debug", flags: b.saveall ? SAVEALL : 0 });
  },

  untracking(b) {
    const t = b.create("tuple", [b.atom(), b.int(0, 50)]);
    const t2 = b.chance(0.5) ? b.create("tuple", [t]) : undefined;
    const d = b.create("dict", [[{ s: "k" }, b.int(0, 9)]]);
    b.emit({ op: "is_tracked", name: t });
    b.emit({ op: "is_tracked", name: d });
    if (b.chance(0.5)) {
      const l = b.create("list");
      b.link(d, l);
      b.emit({ op: "is_tracked", name: d });
      b.del(l);
    }
    b.randomCollect();
    b.emit({ op: "is_tracked", name: t });
    if (t2) b.emit({ op: "is_tracked", name: t2 });
    b.emit({ op: "is_tracked", name: d });
    if (b.chance(0.5)) b.delAll([t, d, ...(t2 ? [t2] : [])]);
  },

  /** Random edits of live objects: links, unlinks, loads, drops. */
  churn(b) {
    for (let i = b.int(1, 8); i > 0; i--) {
      const live = b.live();
      if (!live.length) {
        b.create(b.mutableKind());
        continue;
      }
      const k = b.rand();
      const x = b.pick(live);
      if (k < 0.35) {
        if (b.linkable(x)) b.link(x, b.chance(0.85) ? b.pick(live) : b.atom());
      } else if (k < 0.55) b.unlink(x);
      else if (k < 0.65) b.loadFrom(x);
      else if (k < 0.75) b.del(x);
      else if (k < 0.85) b.create(b.mutableKind(), []);
      else b.query();
    }
  },

  collectAndLook(b) {
    b.randomCollect();
    b.queries(b.int(0, 3));
    if (b.weak) for (let i = b.int(0, 2); i > 0; i--) b.weakQuery();
  },

  // ---- weak references (weakref traces only) ----
  /** Weakrefs and proxies to one object (newest callback first when it dies by refcount). */
  weakrefs(b) {
    const target = b.weakTarget();
    const refs = [];
    for (let i = b.int(1, 4); i > 0; i--) refs.push(b.weakref(target, b.chance(0.2)));
    if (b.chance(0.3)) b.emit({ op: "weakrefcount", name: target });
    const plain = refs.filter((r) => b.obj(r).type === "weakref");
    if (plain.length && b.watched < 3 && b.chance(0.15)) {
      b.emit({ op: "watch", name: b.pick(plain) });
      b.watched++;
    }
    // a weakref that dies before its referent never calls back
    if (b.chance(0.25)) b.del(b.pick(refs));
    if (b.chance(0.55)) b.del(target);
    for (let i = b.int(0, 2); i > 0; i--) b.weakQuery();
  },

  /** Cyclic trash with weakrefs: live ones call back (before __del__), trash ones do not. */
  weakCycle(b) {
    const n = b.int(1, 5);
    const nodes = [];
    for (let i = 0; i < n; i++) {
      nodes.push(b.chance(0.15) ? b.create("set") : b.create(b.classKind({ Plain: 3, Del: 2, Lazarus: 0.6, Legacy: 0.3, WSlots: 1.5 })));
    }
    for (let i = 0; i < n; i++) {
      if (!b.link(nodes[i], nodes[(i + 1) % n])) {
        // a set holds no set: through an instance
        const via = b.create("Plain");
        b.link(via, nodes[(i + 1) % n]);
        b.link(nodes[i], via);
        b.del(via);
      }
    }
    const kept = [];
    for (const x of nodes) {
      const k = b.rand();
      if (k < 0.45) kept.push(b.weakref(x, b.chance(0.15), b.chance(0.85)));
      else if (k < 0.7) {
        // stored in the trash itself: cleared without its callback
        const w = b.weakref(x, false, true);
        const holder = b.pick(nodes);
        if (b.obj(holder).type !== "set") b.link(holder, w);
        b.del(w);
      }
    }
    if (b.chance(0.3)) b.weakQuery();
    const keep = b.chance(0.2) ? b.pick(nodes) : undefined;
    b.delAll(nodes.filter((x) => x !== keep));
    if (b.chance(0.75)) b.randomCollect();
    for (const w of kept) if (b.chance(0.5)) (b.obj(w).type === "proxy" ? b.use(w) : b.emit({ op: "deref", name: w }));
    if (b.chance(0.4)) b.delAll(kept);
    return keep;
  },

  /** A weakref held only by cyclic trash, its referent alive (bpo-38006): cleared, no callback. */
  trashWeakref(b) {
    const target = b.weakTarget();
    const w = b.weakref(target, false, true);
    const holder = b.create(b.pick(["list", "Plain", "dict", "WSlots"]));
    b.link(holder, w);
    b.link(holder, holder);
    b.del(w);
    b.del(holder);
    if (b.chance(0.7)) b.randomCollect();
    if (b.chance(0.5)) b.emit({ op: "weakrefcount", name: target });
    if (b.chance(0.4)) b.del(target);
  },

  /** Proxies: used while the referent lives and after. */
  proxies(b) {
    const target = b.weakTarget();
    const p = b.weakref(target, true, b.chance(0.5));
    b.use(p);
    if (b.chance(0.6)) {
      b.del(target);
      if (b.chance(0.3)) b.randomCollect();
      b.use(p);
    }
  },

  /** Objects that refuse weak references (TypeError). */
  refused(b) {
    const cands = b.live().filter((n) => !b.weakrefable(n));
    const x = cands.length && b.chance(0.6) ? b.pick(cands) : b.create(b.pick(["list", "dict", "Slots", "DelSlots"]));
    b.emit({ op: "try_weakref", target: x });
  },

  /** weakref.finalize: alive, peek, detach, calls; run when the object dies. */
  finalizers(b) {
    b.noCount = true;
    const target = b.weakTarget();
    for (let i = b.int(1, 2); i > 0; i--) {
      const f = b.fresh("f");
      b.fins.push(f);
      b.emit({ op: "finalize", name: f, target });
    }
    for (let i = b.int(0, 2); i > 0; i--) {
      b.emit({ op: b.pick(["fin_alive", "fin_peek", "fin_detach", "fin_call", "fin_alive"]), name: b.pick(b.fins) });
    }
    if (b.chance(0.5)) b.del(target);
  },

  /** WeakValueDictionary / WeakKeyDictionary / WeakSet entries vanish with their objects. */
  weakContainers(b) {
    b.noCount = true;
    let c;
    if (!b.containers.length || b.chance(0.35)) {
      const type = b.pick(["WeakValueDictionary", "WeakKeyDictionary", "WeakSet"]);
      c = [b.fresh(type === "WeakSet" ? "ws" : type === "WeakKeyDictionary" ? "wk" : "wv"), type];
      b.containers.push(c);
      b.emit({ op: "weak_new", name: c[0], type });
    } else c = b.pick(b.containers);
    const [name, type] = c;
    const added = [];
    for (let i = b.int(1, 4); i > 0; i--) {
      if (type === "WeakValueDictionary") {
        const insts = b.live().filter((n) => b.isInstance(n));
        const key = insts.length && b.chance(0.25) ? b.pick(insts) : b.chance(0.5) ? b.int(0, 6) : { s: b.pick(["k", "x", "y"]) };
        const v = b.weakTarget();
        b.emit({ op: "weak_set", target: name, key, value: v });
        added.push(v);
      } else if (type === "WeakKeyDictionary") {
        const k = b.weakTarget(true);
        const live = b.live();
        b.emit({ op: "weak_set", target: name, key: k, value: b.chance(0.5) && live.length ? b.pick(live) : b.atom() });
        added.push(k);
      } else {
        const k = b.weakTarget(true);
        b.emit({ op: "weak_add", target: name, value: k });
        added.push(k);
      }
    }
    if (b.chance(0.5)) b.emit({ op: "weak_len", name });
    if (b.chance(0.3)) {
      const live = b.live();
      const key = type === "WeakValueDictionary" ? b.atom() : live.length && b.chance(0.8) ? b.pick(live) : b.atom();
      if (key !== null || type !== "WeakValueDictionary") b.emit({ op: "weak_has", target: name, key });
    }
    if (type === "WeakSet" && b.chance(0.2)) {
      const k = b.pick(added);
      if (b.names.has(k)) b.emit({ op: "weak_del", target: name, key: k });
    }
    // some die by refcount, some are cyclic (collected later)
    for (const x of b.shuffle(added)) {
      if (!b.names.has(x)) continue;
      if (b.chance(0.25) && b.linkable(x)) b.link(x, x);
      if (b.chance(0.5)) b.del(x);
    }
    if (b.chance(0.5)) b.emit({ op: "weak_len", name });
  },
};

function generate(index) {
  const seed = (SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  const weak = index >= COUNT;
  const b = new Builder(`gen_${String(index).padStart(3, "0")}`, seed, weak);
  // sizes: mostly small, some large
  const size = index % 10 === 9 ? b.int(25, 60) : index % 3 === 0 ? b.int(8, 20) : b.int(2, 8);
  const weights = [
    ["selfLoop", 2], ["ring", 3], ["fan", 2.5], ["chain", 2], ["tree", 2], ["tupleCycle", 1], ["dictCycle", 1],
    ["resurrection", 1.5], ["legacy", 1.5], ["generations", 1.5], ["freeze", 0.6], ["saveall", 0.4],
    ["untracking", 0.8], ["churn", 3], ["collectAndLook", 3],
  ];
  if (weak) {
    weights.push(["weakrefs", 4], ["weakCycle", 4], ["trashWeakref", 1.5], ["proxies", 1.5], ["refused", 0.5]);
    // a third of them use weakref.finalize or the weak containers (and then no get_count)
    if (index % 3 === 0) weights.push(["finalizers", 2], ["weakContainers", 2.5]);
  }
  // each trace favours a few motifs, so that shapes differ from trace to trace
  const favoured = new Set(b.shuffle(weights.map(([m]) => m)).slice(0, 3));
  const total = weights.reduce((a, [m, w]) => a + (favoured.has(m) ? w * 4 : w), 0);
  const kept = [];
  for (let i = 0; i < size; i++) {
    let x = b.rand() * total;
    let motif = "churn";
    for (const [m, w] of weights) if ((x -= favoured.has(m) ? w * 4 : w) < 0) { motif = m; break; }
    const keep = motifs[motif](b);
    if (keep) kept.push(keep);
    // connect kept structures now and then: cycles across motifs
    if (kept.length >= 2 && b.chance(0.3)) {
      const [p, q] = b.shuffle(kept.filter((n) => b.names.has(n))).slice(0, 2);
      if (p && q && b.linkable(p)) b.link(p, q);
      if (p && q && b.chance(0.5) && b.linkable(q)) b.link(q, p);
    }
  }
  // the end: drop everything, collect the generations, look
  if (b.chance(0.7)) b.delAll(b.live());
  if (b.frozen && b.chance(0.7)) b.emit({ op: "unfreeze" });
  for (const g of b.chance(0.5) ? [0, 1, 2] : [2]) b.collect(g);
  b.emit({ op: "get_stats" });
  if (!b.noCount) b.emit({ op: "get_count" });
  if (b.weak) for (let i = b.int(1, 3); i > 0; i--) b.weakQuery();
  b.emit({ op: "garbage" });
  b.emit({ op: "resurrected" });
  if (b.saveall) b.emit({ op: "set_debug", flags: 0 });
  return { name: b.name, steps: b.steps };
}

function write(file, group, traces) {
  const names = new Set();
  for (const t of traces) {
    if (names.has(t.name)) throw new Error(`duplicate trace name ${t.name}`);
    names.add(t.name);
  }
  const lines = traces.map((t) => {
    const head = JSON.stringify({ name: t.name, ...(t.doc ? { doc: t.doc } : {}) }).slice(0, -1);
    return `    ${head}, "steps": [\n${t.steps.map((s) => `      ${JSON.stringify(s)}`).join(",\n")}\n    ]}`;
  });
  writeFileSync(file, `{\n  "group": ${JSON.stringify(group)},\n  "traces": [\n${lines.join(",\n")}\n  ]\n}\n`);
}

const dir = new URL("./traces/", import.meta.url);
mkdirSync(dir, { recursive: true });
const generated = Array.from({ length: COUNT + WEAK_COUNT }, (_, i) => generate(i));
write(new URL("test_gc.json", dir), "test_gc", testGc);
write(new URL("test_weakref.json", dir), "test_weakref", testWeakref);
write(new URL("scenarios.json", dir), "scenarios", scenarios);
write(new URL("shared_keys.json", dir), "shared_keys", sharedKeys);
write(new URL("generated.json", dir), "generated", generated);
const steps = generated.reduce((a, t) => a + t.steps.length, 0);
console.log(`generate.mjs: ${testGc.length} test_gc ports, ${testWeakref.length} test_weakref ports, ${scenarios.length} scenarios, ${sharedKeys.length} shared_keys, ${COUNT + WEAK_COUNT} generated traces (${WEAK_COUNT} with weak references; ${steps} steps)`);
