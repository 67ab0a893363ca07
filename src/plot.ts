/**
 * monitorSvg: heap.monitor's samples as an SVG picture, for people who would rather look than
 * read. Two panels over time: bytes (allocated blocks, and what the allocator holds: arenas and
 * large blocks) and live objects (in all, and the most numerous types); each collection is a
 * tick on the time axis, coloured by its generation. Plain SVG text, no dependencies (the CLI's
 * `pyheap plot` writes it to a file; a page can put it in the DOM).
 */
import { PyValueError } from "./errors.js";
import type { MonitorJSON, MonitorSample } from "./monitor.js";
import { formatSize } from "./tracemalloc-snapshot.js";

export interface PlotOptions {
  width?: number;
  height?: number;
  title?: string;
  /** How many types get a line of their own in the objects panel (the most numerous at the end). */
  types?: number;
}

const GEN_COLOURS = ["#2e7d32", "#ef6c00", "#c62828"];
const TYPE_COLOURS = ["#6a1b9a", "#00838f", "#ad1457", "#827717", "#4e342e"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function samplesOf(input: MonitorJSON | readonly MonitorSample[]): readonly MonitorSample[] {
  const samples = Array.isArray(input) ? input : (input as MonitorJSON)?.samples;
  if (!Array.isArray(samples)) throw new PyValueError("monitorSvg: expected heap.monitor.toJSON()'s document or its samples");
  for (const s of samples) {
    if (typeof s?.t !== "number" || typeof s.allocatedBytes !== "number" || typeof s.liveObjects !== "number") {
      throw new PyValueError("monitorSvg: a sample without t, allocatedBytes or liveObjects");
    }
  }
  return samples as readonly MonitorSample[];
}

/** A "nice" axis maximum and step for values up to max. */
function niceAxis(max: number, ticks = 4): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

export function monitorSvg(input: MonitorJSON | readonly MonitorSample[], options: PlotOptions = {}): string {
  const samples = samplesOf(input);
  const W = options.width ?? 900, H = options.height ?? 520;
  if (!Number.isFinite(W) || !Number.isFinite(H) || W < 300 || H < 200) throw new PyValueError("monitorSvg: width and height must be at least 300 and 200");
  if (options.types !== undefined && (!Number.isInteger(options.types) || options.types < 0)) throw new PyValueError("monitorSvg: types must be a non-negative integer");
  const left = 80, right = 160, top = 40, gap = 50, bottom = 40;
  const panelH = (H - top - bottom - gap) / 2;
  const plotW = W - left - right;
  const tMax = Math.max(1e-9, ...samples.map((s) => s.t));
  const x = (t: number) => left + (t / tMax) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(options.title ?? "pyheap: memory over time")}</text>`);

  const panel = (y0: number, label: string, series: { name: string; colour: string; value: (s: MonitorSample) => number; dash?: string }[], fmt: (v: number) => string, binary = false) => {
    const max = Math.max(0, ...samples.flatMap((s) => series.map((se) => se.value(s))));
    // bytes: round steps in KiB or MiB
    const unit = binary ? (max >= 4 * 1048576 ? 1048576 : max >= 4096 ? 1024 : 1) : 1;
    const axis = niceAxis(max / unit);
    const yTop = axis.top * unit, step = axis.step * unit;
    const y = (v: number) => y0 + panelH - (v / yTop) * panelH;
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="bold">${esc(label)}</text>`);
    for (let v = 0; v <= yTop + step / 2; v += step) {
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e0e0e0"/>`);
      out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${esc(fmt(v))}</text>`);
    }
    series.forEach((se, i) => {
      const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(se.value(s)).toFixed(1)}`).join(" ");
      out.push(`<polyline points="${pts}" fill="none" stroke="${se.colour}" stroke-width="1.6"${se.dash ? ` stroke-dasharray="${se.dash}"` : ""}/>`);
      const ly = y0 + 12 + i * 16;
      out.push(`<line x1="${left + plotW + 12}" x2="${left + plotW + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${se.colour}" stroke-width="2"${se.dash ? ` stroke-dasharray="${se.dash}"` : ""}/>`);
      out.push(`<text x="${left + plotW + 34}" y="${ly}">${esc(se.name)}</text>`);
    });
    out.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${panelH}" fill="none" stroke="#999"/>`);
  };

  panel(top, "bytes", [
    { name: "heap (arenas + large)", colour: "#616161", value: (s) => s.heapBytes ?? 0, dash: "4 3" },
    { name: "allocated blocks", colour: "#1565c0", value: (s) => s.allocatedBytes },
  ], (v) => formatSize(v, false), true);

  const totals = new Map<string, number>();
  const last = samples.at(-1);
  if (last) for (const [k, v] of Object.entries(last.types ?? {})) totals.set(k, v.count);
  const typeNames = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, options.types ?? 3).map(([k]) => k);
  const y1 = top + panelH + gap;
  panel(y1, "live objects", [
    { name: "all", colour: "#1565c0", value: (s) => s.liveObjects },
    ...typeNames.map((t, i) => ({ name: t, colour: TYPE_COLOURS[i % TYPE_COLOURS.length], value: (s: MonitorSample) => s.types?.[t]?.count ?? 0 })),
  ], (v) => v.toLocaleString("en-US"));

  // collections: a tick per sample that saw some, coloured by the oldest generation collected
  const yAxis = H - bottom;
  for (const s of samples) {
    const cs = s.collections ?? [];
    if (!cs.length) continue;
    const g = Math.max(...cs.map((c) => c.generation));
    const px = x(s.t).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${yAxis}" stroke="${GEN_COLOURS[g] ?? "#000"}" stroke-opacity="0.25"/>`);
    out.push(`<line x1="${px}" x2="${px}" y1="${yAxis}" y2="${yAxis + 6}" stroke="${GEN_COLOURS[g] ?? "#000"}" stroke-width="2">` +
      `<title>${cs.length} collection(s): ${esc(cs.map((c) => `gen ${c.generation}, ${c.collected} collected, ${c.pauseMs.toFixed(3)} ms`).join("; "))}</title></line>`);
  }
  GEN_COLOURS.forEach((c, g) => {
    out.push(`<line x1="${left + plotW + 12}" x2="${left + plotW + 30}" y1="${yAxis - 40 + g * 14}" y2="${yAxis - 40 + g * 14}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${left + plotW + 34}" y="${yAxis - 36 + g * 14}">gen ${g} collection</text>`);
  });
  const { step: tStep } = niceAxis(tMax, 6);
  for (let t = 0; t <= tMax * (1 + 1e-9); t += tStep) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${yAxis + 20}" text-anchor="middle" fill="#555">${t >= 1000 ? `${(t / 1000).toFixed(1)} s` : `${t.toFixed(0)} ms`}</text>`);
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
