// Import circles in the engine (assembly/) and the host (src/): reads the import and
// export-from statements of assembly/**/*.ts and src/**/*.ts (relative specifiers only,
// parsed with TypeScript's parser), builds the file graph, and prints every cycle: each
// strongly connected component of more than one file, and each file that imports itself.
//
//   node scripts/check-imports.mjs            exit 1 if a run-time cycle is not in ALLOWED below
//   node scripts/check-imports.mjs --report   print everything, always exit 0
//   node scripts/check-imports.mjs --json     the cycles as JSON (with --report: exit 0)
//
// Type-only imports (`import type`, `export type ... from`) are marked "type" in the
// listing. A cycle that only type-only imports close is reported but does not fail the
// check: the compiled modules have no cycle (a handle's type naming its factory's and
// back is ordinary TypeScript). Every other cycle fails it. (AssemblyScript has no
// type-only imports: in the engine every cycle fails.)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const ROOTS = [
  { name: "engine", dir: "assembly" },
  { name: "host", dir: "src" },
];

/**
 * Cycles that are accepted for now: each entry is the exact set of files of one cycle
 * (paths from the repository root). A cycle that gains or loses a file is a new cycle.
 * Keep this empty: add an entry only with a reason and the issue that removes it.
 */
const ALLOWED = [
  // { files: ["src/a.ts", "src/b.ts"], why: "issue N: ..." },
];

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!["--report", "--json", "--help", "-h"].includes(a)) {
    console.error(`check-imports: unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
if (args.has("--help") || args.has("-h")) {
  console.log("usage: node scripts/check-imports.mjs [--report] [--json]\n" +
    "  finds import cycles in assembly/**/*.ts and src/**/*.ts; exit 1 if one is not allowed\n" +
    "  --report  print them and exit 0\n  --json    print them as JSON");
  process.exit(0);
}
const report = args.has("--report"), json = args.has("--json");

function tsFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (e.endsWith(".ts") && !e.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const rel = (p) => relative(root, p).split("\\").join("/");

/** The file a relative specifier names: as written, .js -> .ts (NodeNext), + .ts, + /index.ts. */
function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec);
  const tries = [base, base.replace(/\.(m?js)$/, (_, x) => (x === "mjs" ? ".mts" : ".ts")), `${base}.ts`, join(base, "index.ts")];
  return tries.find((t) => t.endsWith(".ts") && existsSync(t) && statSync(t).isFile());
}

/** [{ spec, typeOnly }] of a file's static imports and export-froms (top-level statements). */
function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out = [];
  for (const st of sf.statements) {
    let spec, typeOnly = false;
    if (ts.isImportDeclaration(st)) {
      spec = st.moduleSpecifier;
      const c = st.importClause;
      // `import type X`, or `import { type A, type B }` with every name type-only
      typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) &&
        c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      spec = st.moduleSpecifier;
      typeOnly = st.isTypeOnly || (!!st.exportClause && ts.isNamedExports(st.exportClause) &&
        st.exportClause.elements.length > 0 && st.exportClause.elements.every((e) => e.isTypeOnly));
    } else if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference)) {
      spec = st.moduleReference.expression;
      typeOnly = st.isTypeOnly;
    }
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith(".")) out.push({ spec: spec.text, typeOnly });
  }
  return out;
}

// ---- the graph ---------------------------------------------------------------------------
/** file -> Map(target file -> typeOnly: true only if every import of it is type-only) */
const graph = new Map();
const unresolved = [];
for (const r of ROOTS) {
  for (const f of tsFiles(join(root, r.dir))) {
    const from = rel(f);
    const edges = new Map();
    for (const { spec, typeOnly } of importsOf(f)) {
      const target = resolveSpec(f, spec);
      if (!target) { unresolved.push(`${from}: "${spec}"`); continue; }
      const to = rel(target);
      edges.set(to, (edges.get(to) ?? true) && typeOnly);
    }
    graph.set(from, edges);
  }
}

// ---- strongly connected components (Tarjan, iterative) -----------------------------------
function scc(g) {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], comps = [];
  for (const start of g.keys()) {
    if (idx.has(start)) continue;
    const work = [[start, [...(g.get(start)?.keys() ?? [])], 0]];
    idx.set(start, index); low.set(start, index); index++; stack.push(start); onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const [v, succ] = top;
      if (top[2] < succ.length) {
        const w = succ[top[2]++];
        if (!g.has(w)) continue;
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index); index++; stack.push(w); onStack.add(w);
          work.push([w, [...g.get(w).keys()], 0]);
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v), idx.get(w)));
        }
      } else {
        work.pop();
        if (work.length) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
        if (low.get(v) === idx.get(v)) {
          const comp = [];
          let w;
          do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
          comps.push(comp.sort());
        }
      }
    }
  }
  return comps;
}

/** A shortest cycle through `from` inside the component (BFS), as a list of files. */
function shortestCycle(from, members) {
  const prev = new Map([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v).keys()) {
      if (!members.has(w)) continue;
      if (w === from) {
        const path = [];
        for (let x = v; x !== null; x = prev.get(x)) path.unshift(x);
        return [...path, from];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [from];
}

const cycles = [];
for (const comp of scc(graph)) {
  const self = comp.length === 1 && graph.get(comp[0]).has(comp[0]);
  if (comp.length < 2 && !self) continue;
  const members = new Set(comp);
  const layer = ROOTS.find((r) => comp.every((f) => f.startsWith(`${r.dir}/`)))?.name ?? "mixed";
  const edges = {};
  for (const f of comp) {
    edges[f] = [...graph.get(f)].filter(([t]) => members.has(t)).map(([t, typeOnly]) => (typeOnly ? `${t} (type)` : t)).sort();
  }
  const runtime = comp.length > 1 && scc(new Map(comp.map((f) => [f, new Map([...graph.get(f)].filter(([t, ty]) => members.has(t) && !ty))])))
    .some((c) => c.length > 1);
  const key = [...comp].sort().join("\n");
  const allowed = ALLOWED.some((a) => [...a.files].sort().join("\n") === key);
  cycles.push({
    layer, files: comp, allowed, typeOnly: comp.length > 1 && !runtime,
    example: shortestCycle(comp[0], members), edges,
  });
}
cycles.sort((a, b) => a.layer.localeCompare(b.layer) || b.files.length - a.files.length);

// ---- output ------------------------------------------------------------------------------
const failing = cycles.filter((c) => !c.allowed && !c.typeOnly);
if (json) {
  console.log(JSON.stringify({ files: graph.size, cycles, unresolved }, null, 2));
} else {
  const n = (k, w) => `${k} ${w}${k === 1 ? "" : "s"}`;
  console.log(`check-imports: ${n(graph.size, "file")} (${ROOTS.map((r) => `${r.dir}/`).join(", ")}), ${n(cycles.length, "cycle")}`);
  for (const r of [...ROOTS.map((r) => r.name), "mixed"]) {
    const mine = cycles.filter((c) => c.layer === r);
    if (!mine.length && r === "mixed") continue;
    const dir = ROOTS.find((x) => x.name === r)?.dir;
    console.log(`\n${r}${dir ? ` (${dir}/)` : ""}: ${mine.length ? n(mine.length, "cycle") : "no cycles"}`);
    mine.forEach((c, i) => {
      const tags = [c.allowed ? "allowed" : "", c.typeOnly ? "type-only imports close it" : ""].filter(Boolean);
      console.log(`  ${i + 1}. ${c.files.length === 1 ? "self-import" : n(c.files.length, "file")}${tags.length ? ` (${tags.join(", ")})` : ""}`);
      console.log(`     e.g. ${c.example.join(" -> ")}`);
      for (const f of c.files) console.log(`     ${f} -> ${c.edges[f].join(", ")}`);
    });
  }
  if (unresolved.length) {
    console.log(`\nunresolved relative imports (not in the graph):`);
    for (const u of unresolved) console.log(`  ${u}`);
  }
  if (failing.length && !report) {
    console.log(`\n${n(failing.length, "cycle")} not in the allow-list (scripts/check-imports.mjs ALLOWED)`);
  }
}
process.exit(failing.length && !report ? 1 : 0);
