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

  /** The live entry under `key` that `matches` accepts, or a new one from `make`. */
  find(key: K, matches: (candidate: T) => boolean, make: () => T): T {
    const bucket = this.buckets.get(key)
    if (bucket !== undefined) {
      for (const ref of bucket) {
        const candidate = ref.deref()
        if (candidate !== undefined && matches(candidate)) return candidate
      }
    }
    const made = make()
    const ref = new WeakRef(made)
    if (bucket === undefined) this.buckets.set(key, [ref])
    else bucket.push(ref)
    this.registry.register(made, key)
    return made
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

const anyEntry = () => true

/** A `WeakTable` whose keys are exact (no collisions to resolve). */
export class ExactWeakTable<T extends object> {
  private readonly table = new WeakTable<string, T>()
  get(key: string, make: () => T): T {
    return this.table.find(key, anyEntry, make)
  }
  get size(): number {
    return this.table.size
  }
}
