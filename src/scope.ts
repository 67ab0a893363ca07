/**
 * heap.scope(fn): every handle made while fn runs is released when it ends, except the
 * one it returns (which joins the enclosing scope, if any). fn may be async: the scope
 * then ends when its promise settles, and handles made after an `await` join it too.
 *
 * Synchronous scopes are a stack (Objects.scopes). An async scope's continuations run
 * later, from the microtask queue, so they are found another way: in Node (and any
 * runtime with AsyncLocalStorage) through the async context the scope's fn ran in,
 * which is exact however many scopes run concurrently; elsewhere (browsers) through the
 * stack of pending async scopes, where a handle made while one is pending joins the
 * newest pending scope of its heap.
 */
import { PyTypeError } from "./errors.js";
import { Ref } from "./handles.js";
import type { Objects } from "./objects.js";

/** An async scope: its heap, its handles, whether it is still pending, the one it runs in. */
interface AsyncScope {
  objects: Objects;
  refs: Ref[];
  open: boolean;
  parent: AsyncScope | undefined;
}

interface ALS<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

/** Node's AsyncLocalStorage, reached without importing node:* (this file is in the browser bundle too). */
const als: ALS<AsyncScope> | undefined = (() => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
    const m = p?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: new () => ALS<AsyncScope> } | undefined;
    return m?.AsyncLocalStorage ? new m.AsyncLocalStorage() : undefined;
  } catch {
    return undefined;
  }
})();

/** Without AsyncLocalStorage: the pending async scopes, oldest first. */
const pending: AsyncScope[] = [];
/** Async scopes pending, in every heap: while none is, a new handle looks no further. */
let openAsync = 0;

/** The pending async scope of this heap a new handle joins (when no synchronous scope is open). */
export function asyncScopeOf(o: Objects): Ref[] | undefined {
  if (openAsync === 0) return undefined;
  return innermost(o, als ? als.getStore() : undefined)?.refs;
}

function innermost(o: Objects, from: AsyncScope | undefined): AsyncScope | undefined {
  if (als) {
    for (let s = from; s; s = s.parent) if (s.open && s.objects === o) return s;
    return undefined;
  }
  for (let i = pending.length - 1; i >= 0; i--) if (pending[i].objects === o) return pending[i];
  return undefined;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as PromiseLike<unknown>).then === "function";
}

/** Releases a scope's handles, except `keep`; returns whether keep was one of them. */
function releaseAll(refs: Ref[], keep: unknown): boolean {
  let kept = false;
  for (const r of refs) {
    if (r === keep) kept = true;
    else r[Symbol.dispose]();
  }
  return kept;
}

export function runScope<R>(o: Objects, fn: () => R): R {
  if (typeof fn !== "function") throw new PyTypeError("scope() takes a function");
  const created: Ref[] = [];
  const outer = als ? als.getStore() : undefined;
  const scope: AsyncScope = { objects: o, refs: created, open: true, parent: outer };
  o.scopes.push(created);
  let result: R | undefined;
  let ok = false;
  try {
    result = als ? als.run(scope, fn) : fn();
    ok = true;
  } finally {
    o.scopes.pop();
    if (!ok || !isThenable(result)) {
      scope.open = false;
      const kept = releaseAll(created, ok ? result : undefined);
      if (kept) adopt(o, result as Ref, outer);
    }
  }
  if (!isThenable(result)) return result as R;
  // async: the scope stays open until the promise settles
  if (!als) pending.push(scope);
  openAsync++;
  const finish = (value: unknown) => {
    openAsync--;
    scope.open = false;
    if (!als) pending.splice(pending.indexOf(scope), 1);
    if (releaseAll(created, value)) adopt(o, value as Ref, outer);
  };
  return Promise.resolve(result).then(
    (value) => {
      finish(value);
      return value;
    },
    (err: unknown) => {
      finish(undefined);
      throw err;
    },
  ) as R;
}

/** The handle a scope returned joins the enclosing scope: synchronous, else async. */
function adopt(o: Objects, r: Ref, outer: AsyncScope | undefined): void {
  const s = o.scopes.length;
  if (s) o.scopes[s - 1].push(r);
  else innermost(o, outer)?.refs.push(r);
}
