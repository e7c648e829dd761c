// One string object for each distinct text within one normalized state. Pure.
// JSON.parse makes a new string for every occurrence of a value longer than a few characters, and a normalized state
// keeps the ones it copies for as long as it is served: at 100k tasks, 100k copies of 1,000 agent ids (6 MB), and
// of Marathon's task hosts and states (3 MB).

export class Interner {
  private readonly seen = new Map<string, string>();

  /** How many distinct texts it has seen. */
  get size(): number {
    return this.seen.size;
  }

  /** The first string seen with this text. */
  of(text: string): string {
    const found = this.seen.get(text);
    if (found !== undefined) return found;
    this.seen.set(text, text);
    return text;
  }
}

/**
 * One value for each key within one normalized state, for small values that repeat across tasks (a Mesos task's
 * ports resource, by its text). Pure. The values must not change once given: they are frozen, and every task with
 * the same key gets the same object.
 */
export class Shared<V extends object> {
  private readonly seen = new Map<string, V>();

  /** How many distinct keys it has seen. */
  get size(): number {
    return this.seen.size;
  }

  /** The value given for `key`, if any. */
  get(key: string): V | undefined {
    return this.seen.get(key);
  }

  /** The value first given for `key`; `value` itself, frozen, the first time. */
  of(key: string, value: V): V {
    const found = this.seen.get(key);
    if (found !== undefined) return found;
    this.seen.set(key, Object.freeze(value));
    return value;
  }
}

interface ListNode<T> {
  list: readonly T[] | null;
  next: Map<T, ListNode<T>> | null;
}

/**
 * One list for each distinct sequence of items (compared as Map keys are: by identity, numbers by value) within one
 * normalized state: port numbers, DiscoveryInfo ports; the empty one too. Pure. Found through a tree of maps, item
 * by item, so no key is made of the items (at 100k tasks, 100k lists of port numbers held about 900 distinct ones).
 * The lists are frozen copies.
 */
export class SharedLists<T> {
  private readonly root: ListNode<T> = { list: null, next: null };

  /** The list with the items of `items`, in order. */
  of(items: readonly T[]): readonly T[] {
    let node = this.root;
    for (const item of items) {
      let next = node.next?.get(item);
      if (next === undefined) {
        next = { list: null, next: null };
        (node.next ??= new Map()).set(item, next);
      }
      node = next;
    }
    node.list ??= Object.freeze(items.slice());
    return node.list;
  }
}
