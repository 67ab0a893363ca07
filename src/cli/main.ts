/** The `pyheap` command line. */
import { Command, InvalidArgumentError } from "commander";
import cliProgress from "cli-progress";
import { demo } from "./demo.js";
import { ASCII, UNICODE } from "./picture.js";
import { readFileSync, writeFileSync } from "node:fs";
import { monitorSvg } from "../plot.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/** The package's version: its package.json, next to build/ (where this bundle lives). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

const program = new Command()
  .name("pyheap")
  .description("CPython's memory manager rebuilt as a WebAssembly heap engine")
  .version(packageVersion(), "-V, --version", "print pyheap's version");

program
  .command("demo")
  .description("a guided tour: allocate and free a realistic mix, show pools, arenas and sys._debugmallocstats()")
  .option("--seed <n>", "random seed", positiveInt, 42)
  .option("--blocks <n>", "blocks to allocate", positiveInt, 200_000)
  .option("--ascii", "draw with ASCII characters only")
  .action(async (opts: { seed: number; blocks: number; ascii?: boolean }) => {
    const tty = Boolean(process.stderr.isTTY);
    await demo({
      seed: opts.seed,
      blocks: opts.blocks,
      glyphs: opts.ascii ? ASCII : UNICODE,
      write: (s) => process.stdout.write(s),
      progress: tty
        ? (label, total) => {
            const bar = new cliProgress.SingleBar(
              { format: `  ${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            );
            bar.start(total, 0);
            return bar;
          }
        : undefined,
    });
  });

program
  .command("plot")
  .description("draw heap.monitor samples (its toJSON() written to a file) as an SVG picture")
  .argument("<samples.json>", "heap.monitor.toJSON() as JSON")
  .option("-o, --out <file>", "the SVG file to write", "memory.svg")
  .option("--title <text>", "the picture's title")
  .action((file: string, opts: { out: string; title?: string }) => {
    const doc = JSON.parse(readFileSync(file, "utf8")) as Parameters<typeof monitorSvg>[0];
    writeFileSync(opts.out, monitorSvg(doc, { title: opts.title }));
    console.log(`wrote ${opts.out}`);
  });

// a closed pipe (`pyheap demo | head`) ends the output, not the program with an error
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

program.parseAsync().catch((e: unknown) => {
  console.error(e instanceof Error ? `pyheap: ${e.name}: ${e.message}` : e);
  process.exitCode = 1;
});
