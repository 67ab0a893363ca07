/** Character pictures of arenas and pools, for the demo and the CLI. */
import type { ArenaPicture } from "../stats.js";

export interface Glyphs {
  full: string; high: string; half: string; low: string; empty: string; virgin: string; alignment: string;
}
export const UNICODE: Glyphs = { full: "█", high: "▓", half: "▒", low: "░", empty: "o", virgin: "·", alignment: "x" };
export const ASCII: Glyphs = { full: "#", high: "=", half: "-", low: ".", empty: "o", virgin: " ", alignment: "x" };

/** One character per 16 KiB of an arena: how full each pool is. */
export function poolGlyph(p: ArenaPicture["pools"][number], g: Glyphs): string {
  switch (p.state) {
    case "virgin": return g.virgin;
    case "empty": return g.empty;
    case "alignment": return g.alignment;
    default: {
      const fill = p.blocksInUse / p.capacity;
      return p.state === "full" ? g.full : fill >= 0.75 ? g.high : fill >= 0.5 ? g.half : g.low;
    }
  }
}

export function renderArenas(arenas: ArenaPicture[], g: Glyphs = UNICODE): string {
  if (!arenas.length) return "  (no arenas)\n";
  let out = "";
  for (const a of arenas) {
    const row = a.pools.map((p) => poolGlyph(p, g)).join("");
    const used = a.pools.filter((p) => p.state === "used" || p.state === "full").length;
    out += `  arena ${String(a.index).padStart(3)} |${row}| ${String(used).padStart(2)} pools in use\n`;
  }
  out += `  legend: ${g.full} full  ${g.high} >=75%  ${g.half} >=50%  ${g.low} <50%  ${g.empty} empty pool (cached)  ` +
    `'${g.virgin}' never carved  ${g.alignment} lost to alignment\n`;
  return out;
}
