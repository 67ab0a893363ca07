/**
 * Heap snapshots in Chrome DevTools' format (.heapsnapshot, as v8.writeHeapSnapshot writes
 * them): the engine lists every live object and reference (assembly/gc/snapshot.ts); this
 * file names them and writes the JSON, in chunks.
 *
 * Nodes: every live object ("object" nodes named by their Python type, self size
 * sys.getsizeof, lasting ids that grow with allocation order between snapshots), under a
 * synthetic root with three groups: "(handles)" (objects held from outside the graph),
 * "(immortal)" and "(garbage awaiting collection)" (unreachable cycles). Edges: list and
 * tuple items as elements; dict str keys, attributes and slots as properties; dict keys,
 * set members, a dict's values under other keys, __dict__ and a memoryview's obj as
 * internal edges; a weakref's referent as a weak edge.
 *
 * The records are copied out of the engine when the snapshot is taken, so writing it
 * (or reading the stream slowly) sees the heap as it was, whatever runs meanwhile.
 */
import type { Engine } from "./engine.js";
import type { Objects } from "./objects.js";
import { PyMemoryError, PyRuntimeError, PyTypeError } from "./errors.js";
import { ENGINE_CONSTANTS as C } from "./abi.generated.js";

const NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"];
const NODE_TYPES = [
  "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic",
  "concatenated string", "sliced string", "symbol", "bigint", "object shape",
];
const EDGE_FIELDS = ["type", "name_or_index", "to_node"];
const EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];
const NT_OBJECT = NODE_TYPES.indexOf("object");
const NT_SYNTHETIC = NODE_TYPES.indexOf("synthetic");
const ET_ELEMENT = EDGE_TYPES.indexOf("element");
const ET_PROPERTY = EDGE_TYPES.indexOf("property");
const ET_INTERNAL = EDGE_TYPES.indexOf("internal");
const ET_WEAK = EDGE_TYPES.indexOf("weak");
const GROUP_NAMES = ["", "(handles)", "(immortal)", "(garbage awaiting collection)"];
/** Nodes or edges per chunk of text. */
const ROWS_PER_CHUNK = 16384;

const META = {
  node_fields: NODE_FIELDS,
  node_types: [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
  edge_fields: EDGE_FIELDS,
  edge_types: [EDGE_TYPES, "string_or_number", "node"],
  trace_function_info_fields: ["function_id", "name", "script_name", "script_id", "line", "column"],
  trace_node_fields: ["id", "function_info_index", "count", "size", "children"],
  sample_fields: ["timestamp_us", "last_assigned_id"],
  location_fields: ["object_index", "script_id", "line", "column"],
};

/** A snapshot taken: its rows, ready to be written. */
export class HeapSnapshotData {
  /** @internal */
  constructor(
    /** 7 numbers per node, DevTools' node_fields. */
    readonly nodes: Uint32Array,
    /** 3 numbers per edge, DevTools' edge_fields (to_node an offset into nodes). */
    readonly edges: Uint32Array,
    readonly strings: string[],
  ) {}

  get nodeCount(): number { return this.nodes.length / NODE_FIELDS.length; }
  get edgeCount(): number { return this.edges.length / EDGE_FIELDS.length; }

  /** The file's text, chunk by chunk (each well under a few MB). */
  *chunks(): Generator<string> {
    const snapshot = { meta: META, node_count: this.nodeCount, edge_count: this.edgeCount, trace_function_count: 0 };
    yield `{"snapshot":${JSON.stringify(snapshot)},\n"nodes":[`;
    yield* rows(this.nodes, NODE_FIELDS.length);
    yield `],\n"edges":[`;
    yield* rows(this.edges, EDGE_FIELDS.length);
    yield `],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[],\n"strings":[`;
    const s = this.strings;
    for (let i = 0; i < s.length; i += ROWS_PER_CHUNK) {
      const part = s.slice(i, i + ROWS_PER_CHUNK).map((x) => JSON.stringify(x)).join(",\n");
      yield i ? `,\n${part}` : part;
    }
    yield `]}\n`;
  }
}

function* rows(a: Uint32Array, width: number): Generator<string> {
  const n = a.length / width;
  for (let r = 0; r < n; r += ROWS_PER_CHUNK) {
    const end = Math.min(n, r + ROWS_PER_CHUNK);
    const lines: string[] = [];
    for (let i = r; i < end; i++) {
      const at = i * width;
      let line = i ? "," : "";
      for (let k = 0; k < width; k++) line += (k ? "," : "") + a[at + k];
      lines.push(line);
    }
    yield lines.join("\n") + "\n";
  }
}

/**
 * A collection that runs host code (gc callbacks, del hooks, weakref callbacks) may have
 * started inside an allocation, whose object is not built yet: the walks that see every
 * object refuse to run then (gc.get_objects() does not see an untracked object being built;
 * the object map does).
 */
export function refuseInCollection(engine: Engine, what: string): void {
  if (engine.exports.gc_is_collecting()) {
    throw new PyRuntimeError(`${what} cannot be taken while a collection runs (from a gc callback, or a del hook or weakref callback the collector runs): take it once the collection has returned`);
  }
}

/** Takes a snapshot of the heap: the engine's walk, named. PyMemoryError when the walk's tables do not fit. */
export function takeHeapSnapshot(engine: Engine, objects: Objects): HeapSnapshotData {
  const x = engine.exports;
  refuseInCollection(engine, "a heap snapshot");
  if (!x.snap_build()) throw new PyMemoryError("heap snapshot: the heap's memory is exhausted (the walk needs about 40 bytes per object)");
  try {
    const n = x.snap_node_count() >>> 0, m = x.snap_edge_count() >>> 0;
    const raw = new Uint32Array(engine.u32.buffer, x.snap_nodes() >>> 0, n * 4).slice();
    const rawEdges = new Uint32Array(engine.u32.buffer, x.snap_edges() >>> 0, m * 3).slice();
    const strings: string[] = [];
    const index = new Map<string, number>();
    const str = (s: string): number => {
      let i = index.get(s);
      if (i === undefined) { i = strings.length; strings.push(s); index.set(s, i); }
      return i;
    };
    const byAddress = new Map<number, number>();
    const property = (p: number): number => {
      let i = byAddress.get(p);
      if (i === undefined) { i = str(objects.readStr(p)); byAddress.set(p, i); }
      return i;
    };
    const byKey = new Map<number, number>();
    const value = (k: number): number => {
      let i = byKey.get(k);
      if (i === undefined) { i = str(`[${objects.repr(k)}]`); byKey.set(k, i); }
      return i;
    };
    const typeNames = new Map<number, number>();
    const nodes = new Uint32Array(n * 7);
    const edges = new Uint32Array(m * 3);
    const SYN = C.SNAP_SYNTHETIC;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const kind = raw[i * 4] >>> 0, count = raw[i * 4 + 3];
      const at = i * 7;
      let slots: readonly string[] | undefined;
      if (kind >= SYN) {
        nodes[at] = NT_SYNTHETIC;
        nodes[at + 1] = str(GROUP_NAMES[kind - SYN] ?? "(group)");
      } else {
        nodes[at] = NT_OBJECT;
        let t = typeNames.get(kind);
        if (t === undefined) { t = str(objects.typeNameOf(kind)); typeNames.set(kind, t); }
        nodes[at + 1] = t;
        slots = objects.classes.get(kind)?.slots;
      }
      nodes[at + 2] = raw[i * 4 + 1];
      nodes[at + 3] = raw[i * 4 + 2];
      nodes[at + 4] = count;
      for (let k = 0; k < count; k++, e++) {
        const ek = rawEdges[e * 3], name = rawEdges[e * 3 + 1] >>> 0;
        edges[e * 3 + 2] = rawEdges[e * 3 + 2] * 7;
        let type: number, nm: number;
        switch (ek) {
          case C.SNAP_EDGE_ELEMENT: type = ET_ELEMENT; nm = name; break;
          case C.SNAP_EDGE_PROPERTY: type = ET_PROPERTY; nm = property(name); break;
          case C.SNAP_EDGE_SLOT: type = ET_PROPERTY; nm = str(slots?.[name] ?? `<slot ${name}>`); break;
          case C.SNAP_EDGE_KEY: type = ET_INTERNAL; nm = str("<key>"); break;
          case C.SNAP_EDGE_VALUE: type = ET_INTERNAL; nm = value(name); break;
          case C.SNAP_EDGE_DICT: type = ET_INTERNAL; nm = str("__dict__"); break;
          case C.SNAP_EDGE_OBJ: type = ET_INTERNAL; nm = str("obj"); break;
          case C.SNAP_EDGE_WEAK: type = ET_WEAK; nm = str("__referent__"); break;
          default: throw new PyRuntimeError(`heap snapshot: an edge of unknown kind ${ek}`);
        }
        edges[e * 3] = type;
        edges[e * 3 + 1] = nm;
      }
    }
    return new HeapSnapshotData(nodes, edges, strings);
  } finally {
    x.snap_end();
  }
}

/** The chunks as a byte stream (Node and browsers). */
export function snapshotStream(data: HeapSnapshotData): ReadableStream<Uint8Array> {
  const it = data.chunks();
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const r = it.next();
      if (r.done) controller.close();
      else controller.enqueue(enc.encode(r.value));
    },
    cancel() { it.return(undefined); },
  }, { highWaterMark: 1 });
}

interface FsWrite {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, s: string): number;
  closeSync(fd: number): void;
  unlinkSync(path: string): void;
}

let snapshotSeq = 0;

/** v8.writeHeapSnapshot's default name: Heap.<yyyymmdd>.<hhmmss>.<pid>.0.<seq>.heapsnapshot. */
export function defaultSnapshotName(): string {
  const d = new Date();
  const p2 = (v: number) => String(v).padStart(2, "0");
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  const seq = String(++snapshotSeq).padStart(3, "0");
  return `Heap.${d.getFullYear()}${p2(d.getMonth() + 1)}${p2(d.getDate())}.${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}.${pid}.0.${seq}.heapsnapshot`;
}

/**
 * Writes a snapshot to a file (Node): the name and the file are checked and opened before
 * take() runs, so a bad name or an unwritable path changes nothing in the heap (no ids are
 * given). The name written.
 */
export function writeSnapshotFile(take: () => HeapSnapshotData, filename?: string): string {
  if (filename !== undefined && (typeof filename !== "string" || !filename)) throw new PyTypeError("writeHeapSnapshot: filename must be a non-empty string");
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = (typeof proc?.getBuiltinModule === "function" ? proc.getBuiltinModule("node:fs") : undefined) as FsWrite | undefined;
  if (!fs || typeof fs.openSync !== "function") {
    throw new PyRuntimeError("writeHeapSnapshot needs Node's fs (in a browser, use getHeapSnapshot(): a ReadableStream)");
  }
  const name = filename ?? defaultSnapshotName();
  let fd: number;
  try {
    fd = fs.openSync(name, "w");
  } catch (err) {
    throw new PyRuntimeError(`writeHeapSnapshot: cannot open ${JSON.stringify(name)}: ${(err as Error).message}`, { cause: err });
  }
  let ok = false;
  try {
    const data = take();
    try {
      for (const chunk of data.chunks()) fs.writeSync(fd, chunk);
    } catch (err) {
      throw new PyRuntimeError(`writeHeapSnapshot: writing ${JSON.stringify(name)} failed: ${(err as Error).message}`, { cause: err });
    }
    ok = true;
  } finally {
    fs.closeSync(fd);
    if (!ok) try { fs.unlinkSync(name); } catch { /* (already gone) */ }
  }
  return name;
}
