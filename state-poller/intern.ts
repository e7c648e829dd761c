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
