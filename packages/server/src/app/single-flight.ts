/**
 * Concurrent callers asking for the same key through the same executor share one load. A cache in
 * front of the database (the campaigns, the rules, the API keys) expires for every request in flight
 * at once: without this, 32 concurrent requests would each run the same query and compile the same
 * definitions.
 *
 * Loads are shared only between callers of one executor (the pool, or one transaction), never across:
 * on PGlite (one connection) a caller inside a transaction that waited for a load running outside it
 * would wait for itself.
 */
export class SingleFlight<T> {
  private inFlight = new WeakMap<object, Map<string, Promise<T>>>();

  async run(executor: object, key: string, load: () => Promise<T>): Promise<T> {
    let mine = this.inFlight.get(executor);
    if (!mine) this.inFlight.set(executor, (mine = new Map()));
    const shared = mine.get(key);
    if (shared) {
      try {
        return await shared;
      } catch {
        // The caller that started it failed: load for ourselves.
        return load();
      }
    }
    const p = load();
    mine.set(key, p);
    try {
      return await p;
    } finally {
      if (mine.get(key) === p) mine.delete(key);
    }
  }

  /** After a change: callers from now on start a fresh load instead of joining one that began before it. */
  forget(): void {
    this.inFlight = new WeakMap();
  }
}
