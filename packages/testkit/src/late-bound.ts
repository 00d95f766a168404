/**
 * A stand-in for a value that a `beforeAll` hook creates, so a fixture can hand it out while
 * the test file is still being collected (`const { central } = useTestCentral("x")`) and the
 * tests use it as if it were the value itself. Every property read is forwarded to the value
 * once `set` (methods bound to it); before that, or after `clear`, a read throws naming it.
 */
export interface LateBound<T extends object> {
  /** The stand-in to hand out. */
  readonly ref: T;
  set(value: T): void;
  /** The value, if set. */
  current(): T | undefined;
  clear(): void;
}

export function lateBound<T extends object>(what: string): LateBound<T> {
  let value: T | undefined;
  const target = (): T => {
    if (value === undefined) throw new Error(`${what} is not there: use it inside a test or a hook after beforeAll`);
    return value;
  };
  const ref = new Proxy({} as T, {
    get(_t, prop) {
      // Symbols (util.inspect, iterators) and `then` (await, promise resolution) probe values
      // that may not exist yet; they must not throw.
      if (typeof prop === "symbol" || prop === "then") {
        if (value === undefined) return undefined;
      }
      const v = target();
      const out: unknown = Reflect.get(v, prop, v);
      return typeof out === "function" ? (out as (...a: unknown[]) => unknown).bind(v) : out;
    },
    set(_t, prop, next) {
      return Reflect.set(target(), prop, next);
    },
    has(_t, prop) {
      return prop in target();
    },
    getPrototypeOf() {
      return value === undefined ? Object.prototype : Object.getPrototypeOf(value);
    },
  });
  return {
    ref,
    set: (v) => void (value = v),
    current: () => value,
    clear: () => void (value = undefined),
  };
}
