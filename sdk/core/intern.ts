/**
 * A table of shared, immutable compiled parts (conditions, cohorts, cohort lists), so flags with
 * identical rules hold one copy of them: a thousand flags with the same beta list keep one `Set`
 * of its ids. Entries are held weakly and dropped once no compiled flag uses them, so the table
 * never keeps rules that were changed or deleted.
 *
 * Keys may collide (conditions are keyed by a hash of their content); `matches` decides.
 */
export class WeakTable<K extends string | number, T extends object> {
  private readonly buckets = new Map<K, WeakRef<T>[]>()
  private readonly registry = new FinalizationRegistry<K>((key) => this.prune(key))

  /**
   * The live entry under `key` that `matches(candidate, probe)` accepts, or undefined. The probe
   * is passed along rather than captured, so a lookup allocates no closure (compiling 10,000
   * flags looks up every condition and cohort).
   */
  lookup<P>(key: K, matches: (candidate: T, probe: P) => boolean, probe: P): T | undefined {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return undefined
    for (let i = 0; i < bucket.length; i++) {
      const candidate = bucket[i]!.deref()
      if (candidate !== undefined && matches(candidate, probe)) return candidate
    }
    return undefined
  }

  /** Holds `made` under `key` (after a `lookup` found none) and returns it. */
  add(key: K, made: T): T {
    const ref = new WeakRef(made)
    const bucket = this.buckets.get(key)
    if (bucket === undefined) this.buckets.set(key, [ref])
    else bucket.push(ref)
    this.registry.register(made, key)
    return made
  }

  /** The live entry under `key` that `matches` accepts, or a new one from `make`. */
  find(key: K, matches: (candidate: T) => boolean, make: () => T): T {
    return this.lookup(key, matches, undefined) ?? this.add(key, make())
  }

  /** Live entries (tests). */
  get size(): number {
    let n = 0
    for (const bucket of this.buckets.values()) for (const ref of bucket) if (ref.deref() !== undefined) n++
    return n
  }

  private prune(key: K): void {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return
    const live = bucket.filter((ref) => ref.deref() !== undefined)
    if (live.length === 0) this.buckets.delete(key)
    else this.buckets.set(key, live)
  }
}
