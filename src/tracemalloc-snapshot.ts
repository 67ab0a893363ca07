/**
 * tracemalloc's Python layer: the classes CPython 3.11 writes in Python (Lib/tracemalloc.py),
 * for pyheap's host. Snapshot, Statistic, StatisticDiff, Traceback, Frame, Trace, Filter,
 * DomainFilter and _format_size (formatSize here) behave as CPython's: the same groups, the
 * same order, the same strings, the same errors for the same mistakes. The engine's traces
 * arrive as RawTrace objects (CPython's C layer hands its Python layer the same tuples).
 * Written from CPython's observable behaviour; checked against python3 3.11 by
 * tests/unit/tracemalloc-snapshot.test.ts (its golden file comes from CPython itself).
 *
 * Storage: a Snapshot interns filenames, frames and frame sequences once (hash tables over
 * typed arrays; a frames array the engine hands over for many traces is recognised by
 * identity) and keeps its traces as typed arrays (domain, size, sequence, total_nframe);
 * Trace, Traceback and Frame objects are made on demand, as CPython's _Traces makes its
 * Trace objects. Grouping sums per sequence first, then per key, so statistics over a
 * million traces cost two passes over typed arrays plus the sort of the groups.
 *
 * Details of CPython's that are kept: str(traceback) is its OLDEST frame (CPython 3.11's
 * str(tb[0])), so is str() of a 'traceback' Statistic; cumulative statistics count a frame
 * that occurs twice in a traceback twice; 'traceback' groups ignore total_nframe; sizes are
 * printed with printf's rounding (half to even on the exact value: 10.25 KiB is "10.2 KiB");
 * filenames sort by code point; Traceback.format(limit) with limit <= 0 slices tb[:limit] as
 * CPython's code does (0 prints nothing, -k drops the k most recent frames; CPython's
 * documentation says "the abs(limit) oldest frames", its code does not); a filename with a
 * NUL byte makes format() throw PyValueError "embedded null byte" in Node, as os.stat does.
 *
 * Where pyheap differs from CPython (on purpose or by necessity):
 *  - Input is checked: a trace needs a domain in [0, 2**32), a non-negative integer size, an
 *    integer total_nframe >= 0 and at least one frame (CPython's C layer gives
 *    ("<unknown>", 0) when it knows none; its Python layer would fail later, with an
 *    IndexError, on an empty frame tuple). Frames are [filename: string, lineno: integer].
 *    Filters and arguments are type-checked (PyTypeError) where CPython duck-types.
 *  - Statistic, StatisticDiff, Frame, Traceback and Trace are immutable.
 *  - filterTraces accepts Filter and DomainFilter objects only (no user subclasses).
 *  - dump/load write and read this module's JSON document (below), not a pickle.
 *  - Traceback.format prints source lines as linecache does (the file read once and cached,
 *    PEP 263 coding cookies for UTF-8, Latin-1 and ASCII, universal newlines, the line
 *    stripped of Python's whitespace) in Node only; in browsers there are no source lines.
 *    Not reproduced: linecache's search of sys.path for a relative filename that is not
 *    found from the current directory (pyheap has no sys.path), other codecs of a coding
 *    cookie (cp1252, ...: no source line), files that are not regular files or are larger
 *    than 64 MiB (no source line), and linecache's unbounded cache (this one keeps the last
 *    64 files; clearSourceCache() empties it, as linecache.clearcache()).
 *  - An error of the file system in dump/load is Node's own error (there is no OSError in
 *    the PyError family).
 *
 * The JSON document (Snapshot.toJSON / Snapshot.fromJSON, dump/load), version 1:
 *
 *   {
 *     "format": "pyheap-tracemalloc-snapshot",
 *     "version": 1,
 *     "tracebackLimit": 25,                  // Snapshot.tracebackLimit
 *     "filenames": ["a.py", "<unknown>"],    // each filename once
 *     "tracebacks": [[2, 0, 10, 1, 0]],      // [total_nframe, file, line, file, line, ...]:
 *                                            //   frames most recent first (CPython's C order),
 *                                            //   file = an index into filenames
 *     "traces": [0, 64, 0, 0, 32, 0]         // [domain, size, traceback index] per trace,
 *   }                                        //   flat, in the snapshot's order
 *
 * fromJSON throws PyValueError for a malformed or unknown document (any other format or
 * version, a wrong type, an index out of range, a trace without frames).
 */
import { PyIndexError, PyRuntimeError, PyTypeError, PyValueError } from "./errors.js";

// ---------------------------------------------------------------------------------------
// Python-like helpers: type names and reprs for messages, code-point string order
// ---------------------------------------------------------------------------------------

/** The name Python would give a JS value's type, for messages ("int", "str", "NoneType"). */
function pyTypeName(v: unknown): string {
  switch (typeof v) {
    case "number": return Number.isInteger(v) ? "int" : "float";
    case "bigint": return "int";
    case "string": return "str";
    case "boolean": return "bool";
    case "undefined": return "NoneType";
    case "symbol": return "symbol";
    case "function": return "function";
  }
  if (v === null) return "NoneType";
  if (Array.isArray(v)) return "list";
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const hex = (cp: number, width: number) => cp.toString(16).padStart(width, "0");

/** Python's repr of a str: its choice of quotes and its escapes of unprintable characters. */
function reprStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += "\\" + ch;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp < 0x7f || ch === " " || !NON_PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x100) out += "\\x" + hex(cp, 2);
    else if (cp < 0x10000) out += "\\u" + hex(cp, 4);
    else out += "\\U" + hex(cp, 8);
  }
  return out + q;
}

/** Python's %r for the values a caller may pass by mistake. */
function pyRepr(v: unknown): string {
  if (typeof v === "string") return reprStr(v);
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null || v === undefined) return "None";
  return `<${pyTypeName(v)} object>`;
}

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;
const isSurrogate = (u: number) => u >= 0xd800 && u <= 0xdfff;

/** Python's str order: by code point (JS's < orders UTF-16 code units). -1, 0 or 1. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  let ca = a.charCodeAt(i), cb = b.charCodeAt(i);
  if (isSurrogate(ca) || isSurrogate(cb)) {
    // compare the code points at this position: step back onto a shared high surrogate
    // when one of the two continues it as a pair
    let j = i;
    if (j > 0 && isHigh(a.charCodeAt(j - 1)) && (isLow(ca) || isLow(cb))) j--;
    ca = a.codePointAt(j)!;
    cb = b.codePointAt(j)!;
  }
  return ca < cb ? -1 : 1;
}

const cmpNum = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------
// Argument checks
// ---------------------------------------------------------------------------------------

function checkInt(fn: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new PyTypeError(`${fn}: ${what} must be an integer, not ${typeof v === "number" ? pyRepr(v) : pyTypeName(v)}`);
  }
  return v;
}

function checkNonNegative(fn: string, what: string, v: unknown): number {
  const x = checkInt(fn, what, v);
  if (x < 0) throw new PyValueError(`${fn}: ${what} must be >= 0, not ${x}`);
  return x;
}

function checkBool(fn: string, what: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new PyTypeError(`${fn}: ${what} must be a bool, not ${pyTypeName(v)}`);
  return v;
}

function checkStr(fn: string, what: string, v: unknown): string {
  if (typeof v !== "string") throw new PyTypeError(`${fn}: ${what} must be a str, not ${pyTypeName(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------
// _format_size
// ---------------------------------------------------------------------------------------

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/**
 * |x| with `digits` (0 or 1) decimals, as C's printf("%.*f"): the exact binary value
 * rounded half to even (toFixed rounds exact ties away from zero: 2.5 -> "3", printf "2").
 */
function fixedAbs(a: number, digits: 0 | 1): string {
  if (a >= 1e21) {
    // toFixed switches to exponents here; printf writes every digit of the integer
    const s = BigInt(a).toString();
    return digits ? s + ".0" : s;
  }
  const whole = Math.floor(a);
  const frac = a - whole; // exact
  if (digits === 0 && frac === 0.5) return (whole % 2 === 0 ? whole : whole + 1).toFixed(0);
  // one decimal: the only exact ties are x.25 (-> x.2) and x.75 (-> x.8)
  if (digits === 1 && frac === 0.25) return `${whole.toFixed(0)}.2`;
  if (digits === 1 && frac === 0.75) return `${whole.toFixed(0)}.8`;
  return a.toFixed(digits);
}

/** printf("%.*f") or ("%+.*f") of x, with Python's spellings of nan and inf. */
function fixed(x: number, digits: 0 | 1, plus: boolean): string {
  if (Number.isNaN(x)) return plus ? "+nan" : "nan";
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const body = a === Infinity ? "inf" : fixedAbs(a, digits);
  return (negative ? "-" : plus ? "+" : "") + body;
}

function formatSizeUnchecked(size: number, sign: boolean): string {
  for (let u = 0; ; u++) {
    const a = Math.abs(size);
    if (a < 100 && u !== 0) return `${fixed(size, 1, sign)} ${UNITS[u]}`;
    if (a < 10 * 1024 || u === UNITS.length - 1) return `${fixed(size, 0, sign)} ${UNITS[u]}`;
    size /= 1024;
  }
}

/**
 * CPython's tracemalloc._format_size: "%.0f B" below 10 KiB, then each unit with one
 * decimal below 100 and none below 10240, up to TiB; sign adds "+" to positive sizes.
 */
export function formatSize(size: number, sign: boolean): string {
  if (typeof size !== "number") throw new PyTypeError(`formatSize: size must be a number, not ${pyTypeName(size)}`);
  checkBool("formatSize", "sign", sign);
  return formatSizeUnchecked(size, sign);
}

// ---------------------------------------------------------------------------------------
// fnmatch (POSIX: os.path.normcase does nothing, so matching is case-sensitive)
// ---------------------------------------------------------------------------------------

const CP_STAR = 0x2a, CP_QMARK = 0x3f, CP_LBRACKET = 0x5b, CP_RBRACKET = 0x5d, CP_BANG = 0x21, CP_DASH = 0x2d;
/** In a character set's token list: a hyphen that makes a range (an unescaped "-" in CPython's regex). */
const RANGE_HYPHEN = -1;

/** A code point as a literal of a JS regex with the u flag. */
function escapeCp(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCharCode(cp);
  return `\\u{${cp.toString(16)}}`;
}

/**
 * A character set p[i:j] (between "[" and "]") as fnmatch.translate reads it: "!" first
 * negates; "-" makes ranges, except first (after "!") or last; a reversed range is dropped
 * together with its two ends, as CPython drops it; "\" is literal. The result matches the
 * regex CPython builds, read by its regex parser's set rules.
 */
function translateSet(p: readonly number[], i: number, j: number): string {
  const stuff = p.slice(i, j);
  let toks: number[];
  if (!stuff.includes(CP_DASH)) {
    toks = stuff;
  } else {
    const chunks: number[][] = [];
    let start = i;
    let k = p[i] === CP_BANG ? i + 2 : i + 1;
    for (;;) {
      let found = -1;
      for (let m = k; m < j; m++) if (p[m] === CP_DASH) { found = m; break; }
      if (found < 0) break;
      chunks.push(p.slice(start, found));
      start = found + 1;
      k = found + 3;
    }
    const last = p.slice(start, j);
    if (last.length > 0) chunks.push(last);
    else chunks[chunks.length - 1].push(CP_DASH);
    // drop empty (reversed) ranges, from the last one back
    for (let m = chunks.length - 1; m > 0; m--) {
      const prev = chunks[m - 1], cur = chunks[m];
      if (prev[prev.length - 1] > cur[0]) {
        chunks[m - 1] = prev.slice(0, -1).concat(cur.slice(1));
        chunks.splice(m, 1);
      }
    }
    toks = [];
    for (let m = 0; m < chunks.length; m++) {
      if (m > 0) toks.push(RANGE_HYPHEN);
      for (const c of chunks[m]) toks.push(c);
    }
  }
  if (toks.length === 0) return "(?!)"; // an empty set: never matches
  if (toks.length === 1 && toks[0] === CP_BANG) return "."; // a negated empty set: any character
  let t = 0;
  const negate = toks[0] === CP_BANG;
  if (negate) t = 1;
  let body = "";
  while (t < toks.length) {
    const c1 = toks[t] === RANGE_HYPHEN ? CP_DASH : toks[t];
    t++;
    if (t < toks.length && toks[t] === RANGE_HYPHEN) {
      t++;
      if (t === toks.length) {
        body += escapeCp(c1) + escapeCp(CP_DASH);
        break;
      }
      const c2 = toks[t] === RANGE_HYPHEN ? CP_DASH : toks[t];
      t++;
      // (CPython's translate never builds a reversed range; its regex parser would reject one)
      if (c2 < c1) throw new PyValueError(`bad character range ${String.fromCodePoint(c1)}-${String.fromCodePoint(c2)}`);
      body += `${escapeCp(c1)}-${escapeCp(c2)}`;
    } else {
      body += escapeCp(c1);
    }
  }
  return `[${negate ? "^" : ""}${body}]`;
}

/**
 * A shell pattern as a JS RegExp source (flags "su"), with fnmatch.translate's meaning:
 * "*" any run, "?" one character, [seq] and [!seq] sets, everything else literal. Each
 * interior "*" takes the shortest run before the next fixed piece and never gives it back
 * (CPython's atomic group, spelled here as a lookahead and a backreference), so a pattern
 * with many stars cannot backtrack catastrophically.
 */
export function fnmatchTranslate(pattern: string): string {
  checkStr("fnmatchTranslate", "pattern", pattern);
  const p = Array.from(pattern, (c) => c.codePointAt(0)!);
  const n = p.length;
  const parts: (string | null)[] = []; // null: a star
  let i = 0;
  while (i < n) {
    const c = p[i++];
    if (c === CP_STAR) {
      if (parts.length === 0 || parts[parts.length - 1] !== null) parts.push(null);
    } else if (c === CP_QMARK) {
      parts.push(".");
    } else if (c === CP_LBRACKET) {
      let j = i;
      if (j < n && p[j] === CP_BANG) j++;
      if (j < n && p[j] === CP_RBRACKET) j++;
      while (j < n && p[j] !== CP_RBRACKET) j++;
      if (j >= n) {
        parts.push(escapeCp(CP_LBRACKET)); // no closing "]": a literal "["
      } else {
        parts.push(translateSet(p, i, j));
        i = j + 1;
      }
    } else {
      parts.push(escapeCp(c));
    }
  }
  let out = "^";
  let k = 0;
  let group = 0;
  while (k < parts.length && parts[k] !== null) out += parts[k++];
  while (k < parts.length) {
    k++; // the star
    if (k === parts.length) {
      out += ".*";
      break;
    }
    let fixedPart = "";
    while (k < parts.length && parts[k] !== null) fixedPart += parts[k++];
    if (k === parts.length) {
      out += ".*" + fixedPart;
    } else {
      group++;
      out += `(?=(.*?${fixedPart}))\\${group}`;
    }
  }
  return out + "$";
}

const patternCache = new Map<string, RegExp>();

function compilePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    re = new RegExp(fnmatchTranslate(pattern), "su");
    if (patternCache.size >= 256) patternCache.delete(patternCache.keys().next().value!);
    patternCache.set(pattern, re);
  }
  return re;
}

/** fnmatch.fnmatch(name, pattern) as on POSIX (case-sensitive). */
export function fnmatch(name: string, pattern: string): boolean {
  checkStr("fnmatch", "name", name);
  checkStr("fnmatch", "pattern", pattern);
  return compilePattern(pattern).test(name);
}

/** tracemalloc's _normalize_filename on POSIX: ".pyc" read as ".py". */
const normalizeFilename = (name: string) => (name.endsWith(".pyc") ? name.slice(0, -1) : name);

// ---------------------------------------------------------------------------------------
// Source lines (linecache), in Node only
// ---------------------------------------------------------------------------------------

interface FsLike {
  statSync(path: string, options: { throwIfNoEntry: false }): { isFile(): boolean; size: number } | undefined;
  readFileSync(path: string): Uint8Array;
  readFileSync(path: string, encoding: "utf8"): string;
  writeFileSync(path: string, data: string): void;
}

let fsModule: FsLike | null | undefined;

/** Node's fs, found at run time (the browser bundle must not import node:fs). */
function nodeFs(): FsLike | null {
  if (fsModule === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    let fs: unknown;
    try {
      fs = typeof proc?.getBuiltinModule === "function" ? proc.getBuiltinModule("node:fs") : undefined;
    } catch {
      fs = undefined;
    }
    fsModule = fs && typeof (fs as FsLike).readFileSync === "function" ? (fs as FsLike) : null;
  }
  return fsModule;
}

const SOURCE_CACHE_FILES = 64;
const SOURCE_MAX_BYTES = 64 << 20;
const sourceCache = new Map<string, string[]>();

/** Forgets the source files Traceback.format has read (linecache.clearcache()). */
export function clearSourceCache(): void {
  sourceCache.clear();
}

const UTF8_NAMES = new Set(["utf_8", "cp65001", "u8", "utf", "utf8", "utf8_ucs2", "utf8_ucs4"]);
const LATIN1_NAMES = new Set(["latin_1", "8859", "cp819", "csisolatin1", "ibm819", "iso8859", "iso8859_1", "iso_8859_1", "iso_8859_1_1987", "iso_ir_100", "l1", "latin", "latin1"]);
const ASCII_NAMES = new Set(["ascii", "646", "ansi_x3.4_1968", "ansi_x3.4_1986", "ansi_x3_4_1968", "cp367", "csascii", "ibm367", "iso646_us", "iso_646.irv_1991", "iso_ir_6", "us", "us_ascii"]);
type Codec = "utf-8" | "latin-1" | "ascii";

/** tokenize's _get_normal_name. */
function normalCodecName(orig: string): string {
  const enc = orig.slice(0, 12).toLowerCase().replace(/_/g, "-");
  if (enc === "utf-8" || enc.startsWith("utf-8-")) return "utf-8";
  if (["latin-1", "iso-8859-1", "iso-latin-1"].includes(enc) || ["latin-1-", "iso-8859-1-", "iso-latin-1-"].some((s) => enc.startsWith(s))) return "iso-8859-1";
  return orig;
}

/** The codecs this reader decodes, by Python's codec lookup (normalized name, aliases). */
function codecOf(name: string): Codec | undefined {
  const norm = name.toLowerCase().replace(/[^a-z0-9.]+/g, "_").replace(/^_+|_+$/g, "");
  for (const key of [norm, norm.replace(/\./g, "_")]) {
    if (UTF8_NAMES.has(key)) return "utf-8";
    if (LATIN1_NAMES.has(key)) return "latin-1";
    if (ASCII_NAMES.has(key)) return "ascii";
  }
  return undefined;
}

const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeUtf8(b: Uint8Array): string | null {
  try {
    return utf8Fatal.decode(b);
  } catch {
    return null;
  }
}

function decodeBytes(b: Uint8Array, ascii: boolean): string | null {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    const chunk = b.subarray(i, Math.min(b.length, i + 8192));
    if (ascii && chunk.some((x) => x >= 0x80)) return null;
    s += String.fromCharCode(...chunk);
  }
  return s;
}

const COOKIE = /^[ \t\f]*#[^\n]*?coding[:=][ \t]*([-\w.]+)/;

/** A line's coding cookie: undefined (none), null (tokenize's SyntaxError) or the codec. */
function findCookie(line: Uint8Array, bom: boolean): Codec | null | undefined {
  const s = decodeUtf8(line);
  if (s === null) return null;
  const m = COOKIE.exec(s);
  if (!m) return undefined;
  const name = normalCodecName(m[1]);
  const codec = codecOf(name);
  if (codec === undefined) return null; // an unknown codec, or one this reader does not decode
  if (bom && name !== "utf-8") return null;
  return codec;
}

/** tokenize's blank_re: only spaces, tabs and form feeds before a comment or the line's end. */
function isBlankLine(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0c)) i++;
  return i === end || b[i] === 0x23 || b[i] === 0x0d || b[i] === 0x0a;
}

function lineEnd(b: Uint8Array, start: number): number {
  const i = b.indexOf(0x0a, start);
  return i < 0 ? b.length : i + 1;
}

/** A source file's lines as tokenize.open and readlines give them (without line ends). */
function sourceFileLines(b: Uint8Array): string[] {
  let start = 0;
  let bom = false;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    bom = true;
    start = 3;
  }
  let codec: Codec = "utf-8";
  const end1 = lineEnd(b, start);
  if (end1 > start) {
    let c = findCookie(b.subarray(start, end1), bom);
    if (c === null) return [];
    if (c === undefined && isBlankLine(b, start, end1)) {
      const end2 = lineEnd(b, end1);
      if (end2 > end1) {
        c = findCookie(b.subarray(end1, end2), bom);
        if (c === null) return [];
      }
    }
    if (c !== undefined) codec = c;
  }
  const text = codec === "utf-8" ? decodeUtf8(b.subarray(start)) : decodeBytes(b, codec === "ascii");
  if (text === null) return [];
  const lines = text.split(/\r\n|\r|\n/); // universal newlines
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

const PY_WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** Python's str.strip() (its whitespace is not JS's: \x1c-\x1f and \x85 are, \ufeff is not). */
function pyStrip(s: string): string {
  let i = 0, j = s.length;
  while (i < j && PY_WHITESPACE.includes(s[i])) i++;
  while (j > i && PY_WHITESPACE.includes(s[j - 1])) j--;
  return s.slice(i, j);
}

/** linecache.getline(filename, lineno).strip(), or "" (Node only). */
function sourceLine(filename: string, lineno: number): string {
  if (filename === "" || (filename.startsWith("<") && filename.endsWith(">"))) return "";
  let lines = sourceCache.get(filename);
  if (lines !== undefined) {
    sourceCache.delete(filename); // most recently used last
    sourceCache.set(filename, lines);
  } else {
    const fs = nodeFs();
    if (fs === null) return "";
    // (CPython's os.stat raises ValueError here)
    if (filename.includes("\0")) throw new PyValueError("embedded null byte");
    let bytes: Uint8Array;
    try {
      const st = fs.statSync(filename, { throwIfNoEntry: false });
      if (st === undefined || !st.isFile() || st.size > SOURCE_MAX_BYTES) return "";
      bytes = fs.readFileSync(filename);
    } catch {
      return ""; // not cached, as linecache does not cache a failure
    }
    lines = sourceFileLines(bytes);
    if (sourceCache.size >= SOURCE_CACHE_FILES) sourceCache.delete(sourceCache.keys().next().value!);
    sourceCache.set(filename, lines);
  }
  return lineno >= 1 && lineno <= lines.length ? pyStrip(lines[lineno - 1]) : "";
}

// ---------------------------------------------------------------------------------------
// Frame, Traceback, Trace
// ---------------------------------------------------------------------------------------

/** One frame of a traceback: CPython's tracemalloc.Frame. */
export class Frame {
  readonly filename: string;
  readonly lineno: number;

  constructor(filename: string, lineno: number) {
    this.filename = checkStr("Frame", "filename", filename);
    this.lineno = checkInt("Frame", "lineno", lineno);
  }

  /** "filename:lineno" */
  toString(): string {
    return `${this.filename}:${this.lineno}`;
  }

  equals(other: unknown): boolean {
    return other instanceof Frame && other.filename === this.filename && other.lineno === this.lineno;
  }

  /** CPython's order of frames: by (filename, lineno), filenames by code point. -1, 0 or 1. */
  compare(other: Frame): number {
    if (!(other instanceof Frame)) throw new PyTypeError(`Frame.compare: other must be a Frame, not ${pyTypeName(other)}`);
    return compareStrings(this.filename, other.filename) || cmpNum(this.lineno, other.lineno);
  }
}

const NO_FRAMES: readonly (readonly [string, number])[] = [];
let adoptFiles: readonly string[] | null = null;
let adoptLines: readonly number[] = [];

/** A Traceback over frame arrays already oldest first and checked (shared, never copied). */
function makeTraceback(files: readonly string[], lines: readonly number[], totalNframe: number | null): Traceback {
  adoptFiles = files;
  adoptLines = lines;
  return new Traceback(NO_FRAMES, totalNframe);
}

/**
 * A traceback: CPython's tracemalloc.Traceback, a sequence of Frame from the OLDEST frame
 * to the most recent. The constructor takes the frames most recent first, as CPython's C
 * layer gives them (and CPython's constructor takes them), and reverses them.
 */
export class Traceback implements Iterable<Frame> {
  /** Filenames and line numbers, oldest frame first. */
  readonly #files: readonly string[];
  readonly #lines: readonly number[];
  readonly #total: number | null;

  constructor(frames: ReadonlyArray<readonly [string, number]>, totalNframe: number | null = null) {
    if (adoptFiles !== null) {
      this.#files = adoptFiles;
      this.#lines = adoptLines;
      adoptFiles = null;
      adoptLines = [];
    } else {
      if (!Array.isArray(frames)) throw new PyTypeError(`Traceback: frames must be an array of [filename, lineno], not ${pyTypeName(frames)}`);
      const n = frames.length;
      const files = new Array<string>(n), lines = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const f: unknown = frames[i];
        if (!Array.isArray(f) || f.length !== 2) throw new PyTypeError(`Traceback: frames[${i}] must be a [filename, lineno] pair, not ${pyTypeName(f)}`);
        const name: unknown = f[0], line: unknown = f[1];
        if (typeof name !== "string") checkStr("Traceback", `frames[${i}][0] (filename)`, name);
        if (typeof line !== "number" || !Number.isSafeInteger(line)) checkInt("Traceback", `frames[${i}][1] (lineno)`, line);
        files[n - 1 - i] = name as string;
        lines[n - 1 - i] = line as number;
      }
      this.#files = files;
      this.#lines = lines;
    }
    this.#total = totalNframe === null || totalNframe === undefined ? null : checkNonNegative("Traceback", "totalNframe", totalNframe);
  }

  /** The number of frames the traceback had before the limit cut it (null when unknown). */
  get totalNframe(): number | null {
    return this.#total;
  }

  get length(): number {
    return this.#files.length;
  }

  /** The frame at index (0 = the oldest; negative indices count from the most recent). */
  at(index: number): Frame {
    checkInt("Traceback.at", "index", index);
    const n = this.#files.length;
    const i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) throw new PyIndexError(`Traceback index ${index} out of range (${n} frames)`);
    return new Frame(this.#files[i], this.#lines[i]);
  }

  *[Symbol.iterator](): IterableIterator<Frame> {
    for (let i = 0; i < this.#files.length; i++) yield new Frame(this.#files[i], this.#lines[i]);
  }

  contains(frame: Frame): boolean {
    if (!(frame instanceof Frame)) return false;
    for (let i = 0; i < this.#files.length; i++) if (this.#files[i] === frame.filename && this.#lines[i] === frame.lineno) return true;
    return false;
  }

  /** Equal frames (total_nframe is not compared, as in CPython). */
  equals(other: unknown): boolean {
    if (!(other instanceof Traceback)) return false;
    const a = this.#files, b = other.#files;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i] || this.#lines[i] !== other.#lines[i]) return false;
    return true;
  }

  /** CPython's order: the frame tuples compared oldest first, a prefix before its extensions. */
  compare(other: Traceback): number {
    if (!(other instanceof Traceback)) throw new PyTypeError(`Traceback.compare: other must be a Traceback, not ${pyTypeName(other)}`);
    const a = this.#files, b = other.#files;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareStrings(a[i], b[i]) || cmpNum(this.#lines[i], other.#lines[i]);
      if (c !== 0) return c;
    }
    return cmpNum(a.length, b.length);
  }

  /** str(traceback): str of its first frame, the OLDEST one (as CPython 3.11's str(tb[0])). */
  toString(): string {
    if (this.#files.length === 0) throw new PyIndexError("Traceback has no frames (str() shows the first one)");
    return `${this.#files[0]}:${this.#lines[0]}`;
  }

  /**
   * CPython's Traceback.format: '  File "f", line n' per frame, each followed by
   * '    <source line>' when the file can be read (Node only). A positive limit keeps the
   * `limit` most recent frames; otherwise CPython slices tb[:limit]: 0 keeps none and -k
   * drops the k most recent. Oldest first unless mostRecentFirst.
   */
  format(limit: number | null = null, mostRecentFirst = false): string[] {
    if (limit !== null && limit !== undefined) checkInt("Traceback.format", "limit", limit);
    checkBool("Traceback.format", "mostRecentFirst", mostRecentFirst);
    const n = this.#files.length;
    let lo = 0, hi = n;
    if (limit !== null && limit !== undefined) {
      if (limit > 0) lo = Math.max(0, n - limit);
      else hi = limit === 0 ? 0 : Math.max(0, n + limit);
    }
    const out: string[] = [];
    for (let k = 0; k < hi - lo; k++) {
      const i = mostRecentFirst ? hi - 1 - k : lo + k;
      const file = this.#files[i], line = this.#lines[i];
      out.push(`  File "${file}", line ${line}`);
      const src = sourceLine(file, line);
      if (src !== "") out.push(`    ${src}`);
    }
    return out;
  }
}

/** A traced block: CPython's tracemalloc.Trace. */
export class Trace {
  readonly domain: number;
  readonly size: number;
  readonly traceback: Traceback;

  constructor(domain: number, size: number, traceback: Traceback) {
    this.domain = checkInt("Trace", "domain", domain);
    this.size = checkInt("Trace", "size", size);
    if (!(traceback instanceof Traceback)) throw new PyTypeError(`Trace: traceback must be a Traceback, not ${pyTypeName(traceback)}`);
    this.traceback = traceback;
  }

  /** "file:line: 1.5 KiB": the traceback's str (its oldest frame) and the size. */
  toString(): string {
    return `${this.traceback}: ${formatSizeUnchecked(this.size, false)}`;
  }

  /** Same domain, size, frames and total_nframe. */
  equals(other: unknown): boolean {
    return other instanceof Trace && other.domain === this.domain && other.size === this.size &&
      other.traceback.totalNframe === this.traceback.totalNframe && other.traceback.equals(this.traceback);
  }
}

// ---------------------------------------------------------------------------------------
// Statistic, StatisticDiff
// ---------------------------------------------------------------------------------------

/** One group of Snapshot.statistics: CPython's tracemalloc.Statistic. */
export class Statistic {
  readonly traceback: Traceback;
  readonly size: number;
  readonly count: number;

  constructor(traceback: Traceback, size: number, count: number) {
    if (!(traceback instanceof Traceback)) throw new PyTypeError(`Statistic: traceback must be a Traceback, not ${pyTypeName(traceback)}`);
    this.traceback = traceback;
    this.size = checkInt("Statistic", "size", size);
    this.count = checkInt("Statistic", "count", count);
  }

  /** "file:line: size=1.5 KiB, count=3, average=512 B" (no average when count is 0). */
  toString(): string {
    let text = `${this.traceback}: size=${formatSizeUnchecked(this.size, false)}, count=${this.count}`;
    if (this.count !== 0) text += `, average=${formatSizeUnchecked(this.size / this.count, false)}`;
    return text;
  }

  equals(other: unknown): boolean {
    return other instanceof Statistic && other.size === this.size && other.count === this.count && other.traceback.equals(this.traceback);
  }
}

/** One group of Snapshot.compareTo: CPython's tracemalloc.StatisticDiff. */
export class StatisticDiff {
  readonly traceback: Traceback;
  readonly size: number;
  readonly sizeDiff: number;
  readonly count: number;
  readonly countDiff: number;

  constructor(traceback: Traceback, size: number, sizeDiff: number, count: number, countDiff: number) {
    if (!(traceback instanceof Traceback)) throw new PyTypeError(`StatisticDiff: traceback must be a Traceback, not ${pyTypeName(traceback)}`);
    this.traceback = traceback;
    this.size = checkInt("StatisticDiff", "size", size);
    this.sizeDiff = checkInt("StatisticDiff", "sizeDiff", sizeDiff);
    this.count = checkInt("StatisticDiff", "count", count);
    this.countDiff = checkInt("StatisticDiff", "countDiff", countDiff);
  }

  /** "file:line: size=1.5 KiB (+512 B), count=3 (+1), average=512 B" */
  toString(): string {
    const d = this.countDiff;
    let text = `${this.traceback}: size=${formatSizeUnchecked(this.size, false)} (${formatSizeUnchecked(this.sizeDiff, true)}), ` +
      `count=${this.count} (${d >= 0 ? "+" : ""}${d})`;
    if (this.count !== 0) text += `, average=${formatSizeUnchecked(this.size / this.count, false)}`;
    return text;
  }

  equals(other: unknown): boolean {
    return other instanceof StatisticDiff && other.size === this.size && other.sizeDiff === this.sizeDiff &&
      other.count === this.count && other.countDiff === this.countDiff && other.traceback.equals(this.traceback);
  }
}

// ---------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------

const filterRegex = new WeakMap<Filter, RegExp>();

/**
 * CPython's tracemalloc.Filter: traces whose frame (the most recent one, or any with
 * allFrames) matches filenamePattern (fnmatch; ".pyc" read as ".py") and lineno (null: any
 * line) are kept (inclusive) or dropped (exclusive); with a domain, an inclusive filter
 * also requires that domain and an exclusive one drops only traces of that domain.
 */
export class Filter {
  readonly inclusive: boolean;
  /** The pattern as matched (".pyc" read as ".py"). */
  readonly filenamePattern: string;
  readonly lineno: number | null;
  readonly allFrames: boolean;
  readonly domain: number | null;

  constructor(inclusive: boolean, filenamePattern: string, lineno: number | null = null, allFrames = false, domain: number | null = null) {
    this.inclusive = checkBool("Filter", "inclusive", inclusive);
    this.filenamePattern = normalizeFilename(checkStr("Filter", "filenamePattern", filenamePattern));
    this.lineno = lineno === null || lineno === undefined ? null : checkInt("Filter", "lineno", lineno);
    this.allFrames = checkBool("Filter", "allFrames", allFrames);
    this.domain = domain === null || domain === undefined ? null : checkInt("Filter", "domain", domain);
    filterRegex.set(this, compilePattern(this.filenamePattern));
  }

  /** Whether a frame matches the pattern and the line (CPython's _match_frame_impl; inclusive aside). */
  matchesFrame(filename: string, lineno: number): boolean {
    return filterRegex.get(this)!.test(normalizeFilename(filename)) && (this.lineno === null || lineno === this.lineno);
  }

  /** Whether this filter lets the trace through (CPython's _match). */
  match(trace: Trace): boolean {
    if (!(trace instanceof Trace)) throw new PyTypeError(`Filter.match: trace must be a Trace, not ${pyTypeName(trace)}`);
    const tb = trace.traceback;
    let matched = false;
    if (this.allFrames) {
      for (const f of tb) if (this.matchesFrame(f.filename, f.lineno)) { matched = true; break; }
    } else {
      const f = tb.at(-1); // the most recent frame
      matched = this.matchesFrame(f.filename, f.lineno);
    }
    return applyDomain(this, matched !== !this.inclusive, trace.domain);
  }
}

function applyDomain(f: Filter, res: boolean, domain: number): boolean {
  if (f.domain === null) return res;
  return f.inclusive ? res && domain === f.domain : res || domain !== f.domain;
}

/** CPython's tracemalloc.DomainFilter: keeps (inclusive) or drops the traces of one domain. */
export class DomainFilter {
  readonly inclusive: boolean;
  readonly domain: number;

  constructor(inclusive: boolean, domain: number) {
    this.inclusive = checkBool("DomainFilter", "inclusive", inclusive);
    this.domain = checkInt("DomainFilter", "domain", domain);
  }

  /** Whether this filter lets the trace through (CPython's _match). */
  match(trace: Trace): boolean {
    if (!(trace instanceof Trace)) throw new PyTypeError(`DomainFilter.match: trace must be a Trace, not ${pyTypeName(trace)}`);
    return (trace.domain === this.domain) === this.inclusive;
  }
}

// ---------------------------------------------------------------------------------------
// Snapshot storage
// ---------------------------------------------------------------------------------------

/** What the engine hands over for one traced block (CPython's C trace tuple). */
export interface RawTrace {
  domain: number;
  size: number;
  /** [filename, lineno] pairs, most recent first; at least one. */
  frames: ReadonlyArray<readonly [string, number]>;
  totalNframe: number;
}

const EMPTY = -1;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function frameHash(file: number, line: number): number {
  return mix32(Math.imul(file, 0x9e3779b1) ^ mix32((line | 0) ^ Math.imul(Math.floor(line / 4294967296) | 0, 0x27d4eb2f)));
}

function growI32(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function growF64(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Filenames, frames and frame sequences, interned: open-addressing hash tables over typed
 * arrays (no object per frame). Built once (by the constructor or fromJSON), then shared
 * unchanged by a snapshot and its filtered copies.
 */
class Tables {
  readonly files: string[] = [];
  readonly #fileIndex = new Map<string, number>();
  /** Per frame id: its file id and line (capacity beyond frameCount is unused). */
  frameFile: Int32Array = new Int32Array(64);
  frameLine: Float64Array = new Float64Array(64);
  frameCount = 0;
  #frameSlots: Int32Array = new Int32Array(128).fill(EMPTY);
  /** Per sequence id s: its frame ids, most recent first, are seqFrames[seqStart[s] .. seqStart[s + 1]). */
  seqStart: Int32Array = new Int32Array(64);
  seqFrames: Int32Array = new Int32Array(128);
  seqCount = 0;
  #seqHash: Int32Array = new Int32Array(64);
  #seqSlots: Int32Array = new Int32Array(128).fill(EMPTY);
  #pending: Int32Array = new Int32Array(16);
  #npending = 0;
  #rank: Int32Array | undefined;
  readonly #seqFiles: (readonly string[] | undefined)[] = [];
  readonly #seqLines: (readonly number[] | undefined)[] = [];

  /** A filename's id, interned on first use. */
  file(name: string): number {
    let id = this.#fileIndex.get(name);
    if (id === undefined) {
      id = this.files.length;
      this.files.push(name);
      this.#fileIndex.set(name, id);
    }
    return id;
  }

  /** A filename's id, or -1. */
  fileId(name: string): number {
    return this.#fileIndex.get(name) ?? EMPTY;
  }

  /** Starts a sequence: add() its frames most recent first, then end() gives its id. */
  begin(): void {
    this.#npending = 0;
  }

  add(file: number, line: number): void {
    const fr = this.#frame(file, line, true);
    if (this.#npending === this.#pending.length) this.#pending = growI32(this.#pending, this.#npending + 1);
    this.#pending[this.#npending++] = fr;
  }

  end(): number {
    return this.#seq(this.#pending, this.#npending, true);
  }

  /** The id of frame (file, line), or -1. */
  findFrame(file: number, line: number): number {
    return this.#frame(file, line, false);
  }

  /** The id of the sequence of frames[0 .. n), or -1. */
  findSeq(frames: Int32Array, n: number): number {
    return this.#seq(frames, n, false);
  }

  #frame(file: number, line: number, insert: boolean): number {
    const slots = this.#frameSlots;
    const mask = slots.length - 1;
    let i = frameHash(file, line) & mask;
    for (;;) {
      const id = slots[i];
      if (id === EMPTY) break;
      if (this.frameFile[id] === file && this.frameLine[id] === line) return id;
      i = (i + 1) & mask;
    }
    if (!insert) return EMPTY;
    const id = this.frameCount++;
    this.frameFile = growI32(this.frameFile, id + 1);
    this.frameLine = growF64(this.frameLine, id + 1);
    this.frameFile[id] = file;
    this.frameLine[id] = line;
    slots[i] = id;
    if (this.frameCount * 2 > slots.length) {
      const bigger = new Int32Array(slots.length * 2).fill(EMPTY);
      const m = bigger.length - 1;
      for (let f = 0; f < this.frameCount; f++) {
        let j = frameHash(this.frameFile[f], this.frameLine[f]) & m;
        while (bigger[j] !== EMPTY) j = (j + 1) & m;
        bigger[j] = f;
      }
      this.#frameSlots = bigger;
    }
    return id;
  }

  #seq(frames: Int32Array, n: number, insert: boolean): number {
    let h = n;
    for (let k = 0; k < n; k++) h = mix32(Math.imul(h, 0x9e3779b1) ^ frames[k]);
    const slots = this.#seqSlots;
    const mask = slots.length - 1;
    let i = h & mask;
    for (;;) {
      const s = slots[i];
      if (s === EMPTY) break;
      if (this.#seqHash[s] === h) {
        const a = this.seqStart[s];
        if (this.seqStart[s + 1] - a === n) {
          let k = 0;
          while (k < n && this.seqFrames[a + k] === frames[k]) k++;
          if (k === n) return s;
        }
      }
      i = (i + 1) & mask;
    }
    if (!insert) return EMPTY;
    const s = this.seqCount++;
    this.seqStart = growI32(this.seqStart, s + 2);
    const a = this.seqStart[s];
    this.seqFrames = growI32(this.seqFrames, a + n);
    for (let k = 0; k < n; k++) this.seqFrames[a + k] = frames[k];
    this.seqStart[s + 1] = a + n;
    this.#seqHash = growI32(this.#seqHash, s + 1);
    this.#seqHash[s] = h;
    slots[i] = s;
    if (this.seqCount * 2 > slots.length) {
      const bigger = new Int32Array(slots.length * 2).fill(EMPTY);
      const m = bigger.length - 1;
      for (let q = 0; q < this.seqCount; q++) {
        let j = this.#seqHash[q] & m;
        while (bigger[j] !== EMPTY) j = (j + 1) & m;
        bigger[j] = q;
      }
      this.#seqSlots = bigger;
    }
    return s;
  }

  /** Each file id's place in CPython's order of filenames (code points). */
  rank(): Int32Array {
    if (this.#rank === undefined) {
      const order = this.files.map((_, i) => i).sort((a, b) => compareStrings(this.files[a], this.files[b]));
      const r = new Int32Array(this.files.length);
      order.forEach((id, k) => { r[id] = k; });
      this.#rank = r;
    }
    return this.#rank;
  }

  /** A sequence's Traceback (its frame arrays made once and shared). */
  traceback(s: number, total: number | null): Traceback {
    let files = this.#seqFiles[s], lines = this.#seqLines[s];
    if (files === undefined || lines === undefined) {
      const a = this.seqStart[s], b = this.seqStart[s + 1];
      const f = new Array<string>(b - a), l = new Array<number>(b - a);
      for (let k = 0; k < b - a; k++) {
        const fr = this.seqFrames[b - 1 - k]; // oldest first
        f[k] = this.files[this.frameFile[fr]];
        l[k] = this.frameLine[fr];
      }
      this.#seqFiles[s] = files = f;
      this.#seqLines[s] = lines = l;
    }
    return makeTraceback(files, lines, total);
  }
}

/** A snapshot's traces, one row each. */
interface Rows {
  readonly n: number;
  readonly domain: Uint32Array;
  readonly size: Float64Array;
  readonly seq: Int32Array;
  readonly total: Float64Array;
}

const U32_LIMIT = 2 ** 32;

const isNat = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Throws the error of a raw trace's bad field. */
function rawError(i: number, field: string, v: unknown): never {
  const what = `traces[${i}].${field}`;
  checkNonNegative("Snapshot", what, v);
  throw new PyValueError(`Snapshot: ${what} ${pyRepr(v)} is out of range [0, 2**32)`);
}

function checkRawTraces(traces: ReadonlyArray<RawTrace>): { tables: Tables; rows: Rows } {
  const n = traces.length;
  const domain = new Uint32Array(n), size = new Float64Array(n), seq = new Int32Array(n), total = new Float64Array(n);
  const t = new Tables();
  // the engine hands the same frames array to the traces of one traceback: by identity
  // first (given up when arrays do not repeat)
  let byArray: Map<unknown, number> | null = new Map();
  let hits = 0;
  const fn = "Snapshot";
  for (let i = 0; i < n; i++) {
    const x: unknown = traces[i];
    if (x === null || typeof x !== "object") throw new PyTypeError(`${fn}: traces[${i}] must be a trace {domain, size, frames, totalNframe}, not ${pyTypeName(x)}`);
    const r = x as RawTrace;
    // (the checks build no message unless they fail: this loop may see millions of traces)
    const d = r.domain, sz = r.size, tot = r.totalNframe;
    if (!isNat(d) || d >= U32_LIMIT) rawError(i, "domain", d);
    if (!isNat(sz)) rawError(i, "size", sz);
    if (!isNat(tot)) rawError(i, "totalNframe", tot);
    domain[i] = d;
    size[i] = sz;
    total[i] = tot;
    const frames: unknown = r.frames;
    let s = byArray?.get(frames);
    if (s !== undefined) {
      hits++;
    } else {
      if (!Array.isArray(frames)) throw new PyTypeError(`${fn}: traces[${i}].frames must be an array of [filename, lineno], not ${pyTypeName(frames)}`);
      if (frames.length === 0) {
        throw new PyValueError(`${fn}: traces[${i}].frames is empty: a trace has at least one frame (CPython's C layer gives ["<unknown>", 0])`);
      }
      t.begin();
      for (let k = 0; k < frames.length; k++) {
        const f: unknown = frames[k];
        if (!Array.isArray(f) || f.length !== 2) throw new PyTypeError(`${fn}: traces[${i}].frames[${k}] must be a [filename, lineno] pair, not ${pyTypeName(f)}`);
        const name: unknown = f[0], line: unknown = f[1];
        if (typeof name !== "string") checkStr(fn, `traces[${i}].frames[${k}][0] (filename)`, name);
        if (typeof line !== "number" || !Number.isSafeInteger(line)) checkInt(fn, `traces[${i}].frames[${k}][1] (lineno)`, line);
        t.add(t.file(name as string), line as number);
      }
      s = t.end();
      if (byArray !== null) {
        byArray.set(frames, s);
        if (byArray.size >= 65536 && hits < byArray.size) byArray = null;
      }
    }
    seq[i] = s;
  }
  return { tables: t, rows: { n, domain, size, seq, total } };
}

// ---------------------------------------------------------------------------------------
// Grouping and sorting
// ---------------------------------------------------------------------------------------

const KEY_FILENAME = 0, KEY_LINENO = 1, KEY_TRACEBACK = 2;
type KeyMode = typeof KEY_FILENAME | typeof KEY_LINENO | typeof KEY_TRACEBACK;

/** Checks (key_type, cumulative) as CPython's _group_by does. */
function keyMode(fn: string, keyType: unknown, cumulative: unknown): KeyMode {
  const mode = keyType === "filename" ? KEY_FILENAME : keyType === "lineno" ? KEY_LINENO : keyType === "traceback" ? KEY_TRACEBACK : -1;
  if (mode < 0) throw new PyValueError(`unknown key_type: ${pyRepr(keyType)}`);
  checkBool(fn, "cumulative", cumulative);
  if (cumulative && mode === KEY_TRACEBACK) throw new PyValueError("cumulative mode cannot by used with key type 'traceback'");
  return mode as KeyMode;
}

/** The ids a key can have: file ids (filename), frame ids (lineno), sequence ids (traceback). */
function keySpace(mode: KeyMode, t: Tables): number {
  return mode === KEY_FILENAME ? t.files.length : mode === KEY_LINENO ? t.frameCount : t.seqCount;
}

/** Groups of a snapshot: key ids with their sums. */
interface Groups {
  readonly ids: Int32Array;
  readonly size: Float64Array;
  readonly count: Float64Array;
}

/** Sums per sequence first (one pass over the traces), then per key. */
function groupBy(t: Tables, rows: Rows, mode: KeyMode, cumulative: boolean): Groups {
  const nseq = t.seqCount;
  const ss = new Float64Array(nseq), sc = new Float64Array(nseq);
  const { seq, size } = rows;
  for (let i = 0; i < rows.n; i++) {
    const s = seq[i];
    ss[s] += size[i];
    sc[s]++;
  }
  let ks: Float64Array, kc: Float64Array;
  if (mode === KEY_TRACEBACK) {
    ks = ss;
    kc = sc;
  } else {
    const space = keySpace(mode, t);
    ks = new Float64Array(space);
    kc = new Float64Array(space);
    const { seqStart, seqFrames, frameFile } = t;
    for (let s = 0; s < nseq; s++) {
      if (sc[s] === 0) continue;
      // cumulative: every frame of the traceback, a repeated frame as often as it occurs (as CPython)
      const end = cumulative ? seqStart[s + 1] : seqStart[s] + 1;
      for (let j = seqStart[s]; j < end; j++) {
        const fr = seqFrames[j];
        const k = mode === KEY_LINENO ? fr : frameFile[fr];
        ks[k] += ss[s];
        kc[k] += sc[s];
      }
    }
  }
  let m = 0;
  for (let k = 0; k < kc.length; k++) if (kc[k] !== 0) m++;
  const ids = new Int32Array(m), gs = new Float64Array(m), gc = new Float64Array(m);
  m = 0;
  for (let k = 0; k < kc.length; k++) {
    if (kc[k] === 0) continue;
    ids[m] = k;
    gs[m] = ks[k];
    gc[m] = kc[k];
    m++;
  }
  return { ids, size: gs, count: gc };
}

const TWO_31 = 2 ** 31, TWO_32 = 2 ** 32, TWO_21 = 2 ** 21;

/**
 * CPython's order of the keys of groups i and j (ascending: their tracebacks compared
 * oldest frame first, filenames by code point). The groups come from one table or two
 * (side[i] picks tables[side[i]]); ranks order the filenames of all the tables together.
 * Filename and lineno keys get one number each when they can (rank * 2**32 + line).
 */
function keyOrder(mode: KeyMode, ids: Int32Array, side: Uint8Array | null, tables: readonly Tables[], ranks: readonly Int32Array[]): (i: number, j: number) => number {
  const m = ids.length;
  if (mode !== KEY_TRACEBACK) {
    const kn = new Float64Array(m);
    let numeric = true;
    for (let i = 0; i < m && numeric; i++) {
      const w = side === null ? 0 : side[i];
      const t = tables[w], id = ids[i];
      if (mode === KEY_FILENAME) {
        kn[i] = ranks[w][id];
      } else {
        const r = ranks[w][t.frameFile[id]], line = t.frameLine[id];
        if (line < -TWO_31 || line >= TWO_31 || r >= TWO_21) numeric = false;
        else kn[i] = r * TWO_32 + (line + TWO_31);
      }
    }
    if (numeric) return (i, j) => kn[i] - kn[j];
    return (i, j) => {
      const wi = side === null ? 0 : side[i], wj = side === null ? 0 : side[j];
      const ti = tables[wi], tj = tables[wj], a = ids[i], b = ids[j];
      return cmpNum(ranks[wi][ti.frameFile[a]], ranks[wj][tj.frameFile[b]]) || cmpNum(ti.frameLine[a], tj.frameLine[b]);
    };
  }
  return (i, j) => {
    const wi = side === null ? 0 : side[i], wj = side === null ? 0 : side[j];
    const ti = tables[wi], tj = tables[wj], ri = ranks[wi], rj = ranks[wj];
    const ei = ti.seqStart[ids[i] + 1], ej = tj.seqStart[ids[j] + 1];
    const li = ei - ti.seqStart[ids[i]], lj = ej - tj.seqStart[ids[j]];
    const n = Math.min(li, lj);
    for (let k = 1; k <= n; k++) { // oldest first: from the end of the stored (most recent first) frames
      const fi = ti.seqFrames[ei - k], fj = tj.seqFrames[ej - k];
      const c = cmpNum(ri[ti.frameFile[fi]], rj[tj.frameFile[fj]]) || cmpNum(ti.frameLine[fi], tj.frameLine[fj]);
      if (c !== 0) return c;
    }
    return li - lj;
  };
}

/** A group key's Traceback, as CPython's _group_by builds it (no total_nframe). */
function keyTraceback(mode: KeyMode, t: Tables, id: number): Traceback {
  if (mode === KEY_TRACEBACK) return t.traceback(id, null);
  if (mode === KEY_FILENAME) return makeTraceback([t.files[id]], [0], null);
  return makeTraceback([t.files[t.frameFile[id]]], [t.frameLine[id]], null);
}

/** For each key id of `from`, the same key's id in `to` (-1: `to` has no such key). */
function translateKeys(mode: KeyMode, from: Tables, ids: Int32Array, to: Tables): Int32Array {
  const out = new Int32Array(ids.length);
  const fileMap = Int32Array.from(from.files, (name) => to.fileId(name));
  const frameMap = (fr: number): number => {
    const f = fileMap[from.frameFile[fr]];
    return f < 0 ? EMPTY : to.findFrame(f, from.frameLine[fr]);
  };
  let buf: Int32Array = new Int32Array(16);
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (mode === KEY_FILENAME) {
      out[k] = fileMap[id];
    } else if (mode === KEY_LINENO) {
      out[k] = frameMap(id);
    } else {
      const a = from.seqStart[id], n = from.seqStart[id + 1] - a;
      buf = growI32(buf, n);
      let found = true;
      for (let j = 0; j < n && found; j++) found = (buf[j] = frameMap(from.seqFrames[a + j])) >= 0;
      out[k] = found ? to.findSeq(buf, n) : EMPTY;
    }
  }
  return out;
}

/** Ranks of the filenames of two tables in one order (their union's). */
function unionRanks(a: Tables, b: Tables): [Int32Array, Int32Array] {
  if (a === b) return [a.rank(), a.rank()];
  const names = [...new Set([...a.files, ...b.files])].sort(compareStrings);
  const at = new Map<string, number>();
  names.forEach((name, k) => at.set(name, k));
  return [Int32Array.from(a.files, (f) => at.get(f)!), Int32Array.from(b.files, (f) => at.get(f)!)];
}

const iota = (m: number) => {
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  return order;
};

// ---------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------

const FORMAT = "pyheap-tracemalloc-snapshot";
const VERSION = 1;

/** The JSON document of a snapshot (see this file's header). */
export interface SnapshotJSON {
  format: typeof FORMAT;
  version: typeof VERSION;
  tracebackLimit: number;
  filenames: string[];
  tracebacks: number[][];
  traces: number[];
}

interface Store {
  readonly t: Tables;
  readonly rows: Rows;
}

const stores = new WeakMap<Snapshot, Store>();
let adoptStore: Store | null = null;

function storeOf(s: Snapshot): Store {
  return stores.get(s)!;
}

function fromStore(store: Store, tracebackLimit: number): Snapshot {
  adoptStore = store;
  return new Snapshot([], tracebackLimit);
}

/** A snapshot's traces, as CPython's _Traces: Trace objects made on demand. */
export class Traces implements Iterable<Trace> {
  readonly #store: Store;

  constructor(snapshot: Snapshot) {
    if (!(snapshot instanceof Snapshot)) throw new PyTypeError(`Traces: snapshot must be a Snapshot, not ${pyTypeName(snapshot)}`);
    this.#store = storeOf(snapshot);
  }

  get length(): number {
    return this.#store.rows.n;
  }

  /** The trace at index (negative indices count from the end). */
  at(index: number): Trace {
    checkInt("Traces.at", "index", index);
    const n = this.#store.rows.n;
    const i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) throw new PyIndexError(`Traces index ${index} out of range (${n} traces)`);
    return this.#trace(i);
  }

  #trace(i: number): Trace {
    const { t, rows } = this.#store;
    return new Trace(rows.domain[i], rows.size[i], t.traceback(rows.seq[i], rows.total[i]));
  }

  *[Symbol.iterator](): IterableIterator<Trace> {
    for (let i = 0; i < this.#store.rows.n; i++) yield this.#trace(i);
  }

  contains(trace: Trace): boolean {
    if (!(trace instanceof Trace)) return false;
    for (const t of this) if (t.equals(trace)) return true;
    return false;
  }
}

/** CPython's tracemalloc.Snapshot: the traces of the blocks allocated at one moment. */
export class Snapshot {
  /** The number of frames each traceback was cut to when the traces were taken. */
  readonly tracebackLimit: number;
  #traces: Traces | undefined;

  /** traces: what the engine gives (frames most recent first); tracebackLimit: tracemalloc's limit. */
  constructor(traces: ReadonlyArray<RawTrace>, tracebackLimit: number) {
    let store = adoptStore;
    adoptStore = null;
    this.tracebackLimit = checkNonNegative("Snapshot", "tracebackLimit", tracebackLimit);
    if (store === null) {
      if (traces === null || typeof traces !== "object" || typeof (traces as Iterable<RawTrace>)[Symbol.iterator] !== "function") {
        throw new PyTypeError(`Snapshot: traces must be an array of traces, not ${pyTypeName(traces)}`);
      }
      const list = Array.isArray(traces) ? traces : Array.from(traces as Iterable<RawTrace>);
      const { tables, rows } = checkRawTraces(list);
      store = { t: tables, rows };
    }
    stores.set(this, store);
  }

  /** The traces (in the order they were given), as Trace objects made on demand. */
  get traces(): Traces {
    return (this.#traces ??= new Traces(this));
  }

  /**
   * Groups the traces by key type and sorts the groups as CPython: size, then count, then
   * traceback, all descending. 'filename' groups by the most recent frame's file (shown as
   * "file:0"), 'lineno' by the most recent frame, 'traceback' by all frames; cumulative
   * (filename and lineno only) counts a trace in every frame of its traceback.
   */
  statistics(keyType: "filename" | "lineno" | "traceback", cumulative = false): Statistic[] {
    const mode = keyMode("Snapshot.statistics", keyType, cumulative);
    const { t, rows } = storeOf(this);
    const { ids, size, count } = groupBy(t, rows, mode, cumulative);
    const key = keyOrder(mode, ids, null, [t], [t.rank()]);
    const order = iota(ids.length).sort((i, j) => size[j] - size[i] || count[j] - count[i] || key(j, i));
    const out = new Array<Statistic>(order.length);
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      out[k] = new Statistic(keyTraceback(mode, t, ids[i]), size[i], count[i]);
    }
    return out;
  }

  /**
   * The differences with an older snapshot, grouped as statistics() groups; groups only in
   * the old snapshot come with size 0 and count 0. Sorted as CPython: |sizeDiff|, size,
   * |countDiff|, count, traceback, all descending.
   */
  compareTo(oldSnapshot: Snapshot, keyType: "filename" | "lineno" | "traceback", cumulative = false): StatisticDiff[] {
    if (!(oldSnapshot instanceof Snapshot)) throw new PyTypeError(`Snapshot.compareTo: oldSnapshot must be a Snapshot, not ${pyTypeName(oldSnapshot)}`);
    const mode = keyMode("Snapshot.compareTo", keyType, cumulative);
    const now = storeOf(this), old = storeOf(oldSnapshot);
    const gNew = groupBy(now.t, now.rows, mode, cumulative);
    const gOld = groupBy(old.t, old.rows, mode, cumulative);
    // join: each old group's key in the new snapshot's tables
    const position = new Int32Array(keySpace(mode, now.t)).fill(EMPTY);
    gNew.ids.forEach((id, k) => { position[id] = k; });
    const inNew = now.t === old.t ? gOld.ids : translateKeys(mode, old.t, gOld.ids, now.t);
    const nNew = gNew.ids.length;
    let m = nNew;
    for (let k = 0; k < inNew.length; k++) if (inNew[k] < 0 || position[inNew[k]] < 0) m++;
    const ids = new Int32Array(m), side = new Uint8Array(m);
    const size = new Float64Array(m), sizeDiff = new Float64Array(m), count = new Float64Array(m), countDiff = new Float64Array(m);
    ids.set(gNew.ids);
    size.set(gNew.size);
    sizeDiff.set(gNew.size);
    count.set(gNew.count);
    countDiff.set(gNew.count);
    let q = nNew;
    for (let k = 0; k < inNew.length; k++) {
      const p = inNew[k] < 0 ? EMPTY : position[inNew[k]];
      if (p >= 0) {
        sizeDiff[p] -= gOld.size[k];
        countDiff[p] -= gOld.count[k];
      } else {
        ids[q] = gOld.ids[k];
        side[q] = 1;
        sizeDiff[q] = -gOld.size[k];
        countDiff[q] = -gOld.count[k];
        q++;
      }
    }
    const tables = [now.t, old.t];
    const key = keyOrder(mode, ids, side, tables, unionRanks(now.t, old.t));
    const order = iota(m).sort((i, j) =>
      Math.abs(sizeDiff[j]) - Math.abs(sizeDiff[i]) || size[j] - size[i] ||
      Math.abs(countDiff[j]) - Math.abs(countDiff[i]) || count[j] - count[i] || key(j, i));
    const out = new Array<StatisticDiff>(m);
    for (let k = 0; k < m; k++) {
      const i = order[k];
      out[k] = new StatisticDiff(keyTraceback(mode, tables[side[i]], ids[i]), size[i], sizeDiff[i], count[i], countDiff[i]);
    }
    return out;
  }

  /**
   * A new snapshot with the traces the filters let through: each trace must match one
   * inclusive filter at least (when there are any) and every exclusive filter must let it
   * pass. No filters: a copy with every trace.
   */
  filterTraces(filters: Iterable<Filter | DomainFilter>): Snapshot {
    if (filters === null || filters === undefined || typeof (filters as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new PyTypeError(`filters must be a list of filters, not ${pyTypeName(filters)}`);
    }
    const inc: (Filter | DomainFilter)[] = [], exc: (Filter | DomainFilter)[] = [];
    for (const f of filters as Iterable<unknown>) {
      if (!(f instanceof Filter || f instanceof DomainFilter)) {
        throw new PyTypeError(`Snapshot.filterTraces: filters must be Filter or DomainFilter objects, not ${pyTypeName(f)}`);
      }
      (f.inclusive ? inc : exc).push(f);
    }
    const store = storeOf(this);
    if (inc.length === 0 && exc.length === 0) return fromStore(store, this.tracebackLimit);
    const { t, rows } = store;
    const nseq = t.seqCount, nfiles = t.files.length;
    /** Per filter: whether a trace of sequence s and domain d passes (CPython's _match). */
    const matcher = (f: Filter | DomainFilter): ((s: number, d: number) => boolean) => {
      if (f instanceof DomainFilter) {
        const { domain, inclusive } = f;
        return (_s, d) => (d === domain) === inclusive;
      }
      const re = filterRegex.get(f)!;
      const fileMemo = new Int8Array(nfiles); // 0 unknown, 1 matches, 2 does not
      const seqMemo = new Int8Array(nseq);
      const frameMatches = (fr: number): boolean => {
        const file = t.frameFile[fr];
        let m = fileMemo[file];
        if (m === 0) fileMemo[file] = m = re.test(normalizeFilename(t.files[file])) ? 1 : 2;
        return m === 1 && (f.lineno === null || t.frameLine[fr] === f.lineno);
      };
      return (s, d) => {
        let m = seqMemo[s];
        if (m === 0) {
          let matched = false;
          const end = f.allFrames ? t.seqStart[s + 1] : t.seqStart[s] + 1;
          for (let j = t.seqStart[s]; j < end && !matched; j++) matched = frameMatches(t.seqFrames[j]);
          seqMemo[s] = m = matched !== !f.inclusive ? 1 : 2;
        }
        return applyDomain(f, m === 1, d);
      };
    };
    const incM = inc.map(matcher), excM = exc.map(matcher);
    const keep: number[] = [];
    for (let i = 0; i < rows.n; i++) {
      const s = rows.seq[i], d = rows.domain[i];
      if (incM.length > 0 && !incM.some((m) => m(s, d))) continue;
      if (!excM.every((m) => m(s, d))) continue;
      keep.push(i);
    }
    const n = keep.length;
    const out: Rows = { n, domain: new Uint32Array(n), size: new Float64Array(n), seq: new Int32Array(n), total: new Float64Array(n) };
    for (let k = 0; k < n; k++) {
      const i = keep[k];
      out.domain[k] = rows.domain[i];
      out.size[k] = rows.size[i];
      out.seq[k] = rows.seq[i];
      out.total[k] = rows.total[i];
    }
    return fromStore({ t, rows: out }, this.tracebackLimit);
  }

  /** The snapshot as this module's JSON document (version 1; see the file's header). */
  toJSON(): SnapshotJSON {
    const { t, rows } = storeOf(this);
    const filenames: string[] = [];
    const fileOut = new Int32Array(t.files.length).fill(-1);
    const tracebacks: number[][] = [];
    // (sequence, total_nframe) -> traceback index: the first total of each sequence in an
    // array, any other total in a map
    const firstTotal = new Float64Array(t.seqCount).fill(-1), firstIndex = new Int32Array(t.seqCount);
    const others = new Map<string, number>();
    const traces = new Array<number>(rows.n * 3);
    const newTraceback = (s: number, total: number): number => {
      const entry = [total];
      for (let j = t.seqStart[s]; j < t.seqStart[s + 1]; j++) {
        const fr = t.seqFrames[j], file = t.frameFile[fr];
        if (fileOut[file] < 0) {
          fileOut[file] = filenames.length;
          filenames.push(t.files[file]);
        }
        entry.push(fileOut[file], t.frameLine[fr]);
      }
      tracebacks.push(entry);
      return tracebacks.length - 1;
    };
    for (let i = 0; i < rows.n; i++) {
      const s = rows.seq[i], total = rows.total[i];
      let tb: number;
      if (firstTotal[s] === total) {
        tb = firstIndex[s];
      } else if (firstTotal[s] < 0) {
        tb = firstIndex[s] = newTraceback(s, total);
        firstTotal[s] = total;
      } else {
        const key = `${s}:${total}`;
        let x = others.get(key);
        if (x === undefined) others.set(key, (x = newTraceback(s, total)));
        tb = x;
      }
      traces[i * 3] = rows.domain[i];
      traces[i * 3 + 1] = rows.size[i];
      traces[i * 3 + 2] = tb;
    }
    return { format: FORMAT, version: VERSION, tracebackLimit: this.tracebackLimit, filenames, tracebacks, traces };
  }

  /** A snapshot from toJSON's document (or its JSON text); PyValueError when it is malformed. */
  static fromJSON(json: unknown): Snapshot {
    const bad = (what: string) => new PyValueError(`Snapshot.fromJSON: malformed document: ${what}`);
    let doc = json;
    if (typeof doc === "string") {
      try {
        doc = JSON.parse(doc);
      } catch (e) {
        throw bad(`not JSON (${(e as Error).message})`);
      }
    } else if (doc === null || typeof doc !== "object") {
      throw new PyTypeError(`Snapshot.fromJSON: json must be a document (an object) or its JSON text, not ${pyTypeName(doc)}`);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw bad(`the document must be an object, not ${pyTypeName(doc)}`);
    const d = doc as Record<string, unknown>;
    if (d.format !== FORMAT) throw bad(`format must be "${FORMAT}", not ${pyRepr(d.format)}`);
    if (d.version !== VERSION) throw bad(`unsupported version ${pyRepr(d.version)} (this pyheap reads version ${VERSION})`);
    if (!isNat(d.tracebackLimit)) throw bad(`tracebackLimit must be a non-negative integer, not ${pyRepr(d.tracebackLimit)}`);
    const { filenames, tracebacks, traces } = d;
    if (!Array.isArray(filenames)) throw bad("filenames must be an array");
    for (let k = 0; k < filenames.length; k++) if (typeof filenames[k] !== "string") throw bad(`filenames[${k}] must be a string`);
    if (!Array.isArray(tracebacks)) throw bad("tracebacks must be an array");
    if (!Array.isArray(traces)) throw bad("traces must be an array");
    if (traces.length % 3 !== 0) throw bad(`traces must hold [domain, size, traceback] triples (its length ${traces.length} is not a multiple of 3)`);
    const it = new Tables();
    const fileIds = (filenames as string[]).map((f) => it.file(f));
    const tbSeq = new Int32Array(tracebacks.length), tbTotal = new Float64Array(tracebacks.length);
    for (let k = 0; k < tracebacks.length; k++) {
      const e: unknown = tracebacks[k];
      if (!Array.isArray(e) || e.length < 3 || e.length % 2 === 0) {
        throw bad(`tracebacks[${k}] must be [totalNframe, file, line, ...] with at least one frame`);
      }
      if (!isNat(e[0])) throw bad(`tracebacks[${k}][0] (totalNframe) must be a non-negative integer`);
      tbTotal[k] = e[0];
      it.begin();
      for (let j = 1; j < e.length; j += 2) {
        const file: unknown = e[j], line: unknown = e[j + 1];
        if (!isNat(file) || file >= fileIds.length) throw bad(`tracebacks[${k}][${j}] must be an index into filenames`);
        if (typeof line !== "number" || !Number.isSafeInteger(line)) throw bad(`tracebacks[${k}][${j + 1}] (a line) must be an integer`);
        it.add(fileIds[file], line);
      }
      tbSeq[k] = it.end();
    }
    const n = traces.length / 3;
    const rows: Rows = { n, domain: new Uint32Array(n), size: new Float64Array(n), seq: new Int32Array(n), total: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const dom: unknown = traces[i * 3], size: unknown = traces[i * 3 + 1], tb: unknown = traces[i * 3 + 2];
      if (!isNat(dom) || dom >= U32_LIMIT) throw bad(`traces[${i * 3}] (the domain of trace ${i}) must be an integer in [0, 2**32)`);
      if (!isNat(size)) throw bad(`traces[${i * 3 + 1}] (the size of trace ${i}) must be a non-negative integer`);
      if (!isNat(tb) || tb >= tracebacks.length) throw bad(`traces[${i * 3 + 2}] (the traceback of trace ${i}) must be an index into tracebacks`);
      rows.domain[i] = dom;
      rows.size[i] = size;
      rows.seq[i] = tbSeq[tb];
      rows.total[i] = tbTotal[tb];
    }
    return fromStore({ t: it, rows }, d.tracebackLimit);
  }

  /** Writes toJSON's document to a file (Node only). */
  dump(filename: string): void {
    checkStr("Snapshot.dump", "filename", filename);
    const fs = nodeFs();
    if (fs === null) throw new PyRuntimeError("Snapshot.dump needs Node's fs; use toJSON() in browsers");
    try {
      fs.writeFileSync(filename, JSON.stringify(this.toJSON()));
    } catch (e) {
      // (the PyError family has no OSError: the system's reason is kept as the cause)
      throw new PyRuntimeError(`Snapshot.dump: cannot write ${filename}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Reads a snapshot written by dump (Node only). */
  static load(filename: string): Snapshot {
    checkStr("Snapshot.load", "filename", filename);
    const fs = nodeFs();
    if (fs === null) throw new PyRuntimeError("Snapshot.load needs Node's fs; use Snapshot.fromJSON() in browsers");
    let text: string;
    try {
      text = fs.readFileSync(filename, "utf8");
    } catch (e) {
      throw new PyRuntimeError(`Snapshot.load: cannot read ${filename}: ${(e as Error).message}`, { cause: e });
    }
    return Snapshot.fromJSON(text);
  }
}
