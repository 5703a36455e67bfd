// A Map that remembers at most `max` entries, forgetting the least recently
// used first: the one shape of every cache of already-checked remote input
// (validated keys, verified signatures and records) and of shared values.
// Bounded, so a peer sending endless new values only makes older ones be
// forgotten sooner; entries are only ever values computed from their key,
// so forgetting one costs a recomputation, never a wrong answer.

export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>()

  constructor (readonly max: number) {}

  get size (): number {
    return this.entries.size
  }

  /** The value for `key`, now the most recently used; undefined when not remembered. */
  get (key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  /**
   * The value for `key`: the remembered one, else the one `make()` computes,
   * remembered now. A make() that throws remembers nothing, so bad input is
   * refused again every time.
   */
  remember (key: K, make: () => V): V {
    let value = this.get(key)
    if (value === undefined) {
      value = make()
      this.set(key, value)
    }
    return value
  }

  /** Remembers `value` for `key`, forgetting the least recently used entry when full. */
  set (key: K, value: V): void {
    this.entries.delete(key)
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as K)
    this.entries.set(key, value)
  }
}
