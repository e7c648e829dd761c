// Templates that are only text and `{{name}}` placeholders (every per-service default, every marathon-lb label
// override) rendered by joining strings, without a Handlebars call: each call of a compiled Handlebars template
// merges helpers and builds its prototype-access tables again, about half of rendering a large config. Pure.

/** The parts of a Handlebars program (after whitespace control) that a plain template may hold. */
interface PlainNode {
  readonly type: string;
  readonly value?: unknown;
  readonly path?: { readonly type: string; readonly original?: unknown; readonly parts?: unknown; readonly depth?: unknown; readonly data?: unknown };
  readonly params?: readonly unknown[];
  readonly hash?: unknown;
}

export type PlainValue = string | number | readonly string[];

/**
 * A renderer that gives what Handlebars (`noEscape`, `strict`) gives for the program, or null when the program needs
 * Handlebars: a block, a helper call, a path with dots or `this`, a data variable, or a name that is also a helper
 * (Handlebars would call the helper), or a name Object.prototype has. A name missing from `vars` reads as '', as
 * Handlebars reads an empty default.
 */
export function plainRenderer(body: readonly PlainNode[], helperNames: ReadonlySet<string>): ((vars: Readonly<Record<string, PlainValue>>) => string) | null {
  // Literal text as a string, a placeholder as its name; empty text is dropped, as Handlebars' compiler drops it.
  const parts: ({ readonly text: string } | { readonly name: string })[] = [];
  for (const node of body) {
    if (node.type === 'ContentStatement' && typeof node.value === 'string') {
      if (node.value !== '') parts.push({ text: node.value });
      continue;
    }
    if (node.type === 'CommentStatement') continue;
    if (node.type !== 'MustacheStatement') return null;
    const path = node.path;
    if ((node.params ?? []).length > 0 || node.hash !== undefined || path?.type !== 'PathExpression') return null;
    const name = path.original;
    const segments = path.parts;
    if (typeof name !== 'string' || path.data === true || path.depth !== 0 || !Array.isArray(segments) || segments.length !== 1 || segments[0] !== name) return null;
    // A name Object.prototype has (toString…) would read as its function when missing from `vars`: Handlebars then.
    if (helperNames.has(name) || name in Object.prototype) return null;
    parts.push({ name });
  }
  return (vars) => {
    // Handlebars compiles a program to `return v1 + v2 + "text" + …`, so values before the first text are added
    // with JavaScript's `+`: two numbers are summed ({{a}}{{b}} with 1 and 2 gives "3"). The same rule is kept here.
    let out: string | number = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === undefined) continue;
      const raw = 'text' in part ? part.text : vars[part.name];
      // A missing value appends '' (Handlebars: `value != null ? value : ""`); arrays join with commas.
      const value = raw === undefined || raw === null ? '' : typeof raw === 'number' ? raw : String(raw);
      if (i === 0) out = value;
      else out = typeof out === 'number' && typeof value === 'number' ? out + value : `${out}${value}`;
    }
    return String(out);
  };
}
