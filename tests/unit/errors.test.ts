// Every bad input gets a clear PyError and changes nothing.
import { describe, expect, it } from "vitest";
import {
  Heap, PyError, PyMemoryError, PyReferenceError, PyTypeError, PyValueError,
} from "../../src/node.js";
import { newHeap, snapshot, wasmModule } from "../helpers.js";

type ErrorClass = new (...args: never[]) => PyError;

async function populated(): Promise<{ heap: Heap; small: number; large: number }> {
  const heap = await newHeap();
  for (let i = 0; i < 300; i++) heap.mem.malloc(1 + i);
  const small = heap.mem.malloc(64);
  const large = heap.mem.malloc(5000);
  heap.mem.view(small).fill(1);
  heap.mem.view(large).fill(2);
  return { heap, small, large };
}

const cases: Array<[string, ErrorClass, (h: Heap, small: number, large: number) => unknown]> = [
  ["malloc(-1)", PyValueError, (h) => h.mem.malloc(-1)],
  ["malloc(1.5)", PyValueError, (h) => h.mem.malloc(1.5)],
  ["malloc(NaN)", PyValueError, (h) => h.mem.malloc(NaN)],
  ["malloc(Infinity)", PyValueError, (h) => h.mem.malloc(Infinity)],
  ["malloc('8')", PyTypeError, (h) => h.mem.malloc("8" as unknown as number)],
  ["malloc(8n)", PyTypeError, (h) => h.mem.malloc(8n as unknown as number)],
  ["malloc(2**31)", PyMemoryError, (h) => h.mem.malloc(2 ** 31)],
  ["malloc(2**60)", PyMemoryError, (h) => h.mem.malloc(2 ** 60)],
  ["calloc(-1, 8)", PyValueError, (h) => h.mem.calloc(-1, 8)],
  ["calloc(8, 0.5)", PyValueError, (h) => h.mem.calloc(8, 0.5)],
  ["calloc(2**20, 2**20)", PyMemoryError, (h) => h.mem.calloc(2 ** 20, 2 ** 20)],
  ["calloc(2**40, 2**40)", PyMemoryError, (h) => h.mem.calloc(2 ** 40, 2 ** 40)],
  ["free(12345)", PyValueError, (h) => h.mem.free(12345)],
  ["free(-8)", PyValueError, (h) => h.mem.free(-8)],
  ["free(2**40)", PyValueError, (h) => h.mem.free(2 ** 40)],
  ["free('x')", PyTypeError, (h) => h.mem.free("x" as unknown as number)],
  ["free(interior pointer)", PyValueError, (h, s) => h.mem.free(s + 8)],
  ["free(interior of a large block)", PyValueError, (h, _s, l) => h.mem.free(l + 16)],
  ["realloc(not a block, 8)", PyValueError, (h) => h.mem.realloc(4096, 8)],
  ["realloc(p, -1)", PyValueError, (h, s) => h.mem.realloc(s, -1)],
  ["realloc(p, 2**31)", PyMemoryError, (h, s) => h.mem.realloc(s, 2 ** 31)],
  ["realloc(large, 2**31)", PyMemoryError, (h, _s, l) => h.mem.realloc(l, 2 ** 31)],
  ["view(p, size + 1)", PyValueError, (h, s) => h.mem.view(s, 65)],
  ["view(not a block)", PyValueError, (h) => h.mem.view(8)],
  ["view(p, -1)", PyValueError, (h, s) => h.mem.view(s, -1)],
  ["usableSize(not a block)", PyValueError, (h) => h.mem.usableSize(16)],
  ["size(not a block)", PyValueError, (h) => h.mem.size(16)],
];

describe("bad input", () => {
  it.each(cases)("%s raises the right PyError and changes nothing", async (_name, cls, act) => {
    const { heap, small, large } = await populated();
    const before = snapshot(heap);
    expect(() => act(heap, small, large)).toThrow(cls);
    try {
      act(heap, small, large);
    } catch (e) {
      expect(e).toBeInstanceOf(PyError);
      expect((e as Error).name).toBe(cls.name);
      expect((e as Error).message.length).toBeGreaterThan(10);
    }
    expect(snapshot(heap)).toEqual(before);
    expect(heap.mem.view(small).every((b) => b === 1)).toBe(true);
    expect(heap.mem.view(large).every((b) => b === 2)).toBe(true);
    // the heap is still fully usable
    const p = heap.mem.malloc(64);
    heap.mem.free(p);
    heap.close();
  });

  it("refuses a double free, and the first free stands", async () => {
    const { heap, small } = await populated();
    heap.mem.free(small);
    const before = snapshot(heap);
    expect(() => heap.mem.free(small)).toThrow(/not a live block/);
    expect(() => heap.mem.realloc(small, 10)).toThrow(PyValueError);
    expect(snapshot(heap)).toEqual(before);
    heap.close();
  });

  it("free(0) does nothing, as in C", async () => {
    const { heap } = await populated();
    const before = snapshot(heap);
    heap.mem.free(0);
    expect(snapshot(heap)).toEqual(before);
    heap.close();
  });

  it("refuses bad Heap.create options", async () => {
    await expect(Heap.create({ wasm: wasmModule, maxMemory: -1 })).rejects.toThrow(PyValueError);
    await expect(Heap.create({ wasm: wasmModule, maxMemory: 1000 })).rejects.toThrow(PyValueError);
    await expect(Heap.create({ wasm: wasmModule, maxMemory: 2 ** 33 })).rejects.toThrow(PyValueError);
    await expect(Heap.create({ wasm: wasmModule, maxMemory: "1GB" as unknown as number })).rejects.toThrow(PyTypeError);
    await expect(Heap.create({ wasm: wasmModule, initialMemory: 8 << 20, maxMemory: 4 << 20 })).rejects.toThrow(PyValueError);
    await expect(Heap.create({ wasm: "pyheap.wasm" as unknown as ArrayBuffer })).rejects.toThrow(PyTypeError);
    await expect(Heap.create(null as unknown as object)).rejects.toThrow(PyTypeError);
  });
});

describe("a closed heap", () => {
  it("throws PyReferenceError from every call", async () => {
    const { heap, small } = await populated();
    heap.close();
    expect(heap.closed).toBe(true);
    const calls: Array<() => unknown> = [
      () => heap.mem.malloc(8), () => heap.mem.calloc(1, 8), () => heap.mem.realloc(small, 8), () => heap.mem.free(small),
      () => heap.mem.view(small), () => heap.mem.size(small), () => heap.mem.usableSize(small), () => heap.mem.has(small),
      () => heap.mem.count, () => heap.mem.stats(), () => heap.mem.arenas(), () => heap.mem.check(),
      () => heap.sys.debugmallocstats(), () => heap.sys.getallocatedblocks(),
    ];
    for (const call of calls) expect(call).toThrow(PyReferenceError);
    heap.close(); // closing twice is harmless
  });
});
