// Test helper: HAProxy ACL conditions (if/unless, or, !, named and anonymous ACLs) in a normal form. Pure.
// Two rules with the same meaning get equal conditions, whatever their word order or ACL names.
import type { Condition } from './haproxy-cfg.js';

export function splitCondition(args: string[], acls: ReadonlyMap<string, string[]>): { head: string[]; when: Condition } {
  let depth = 0;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? '';
    if (word === '{' || word === '!{') depth++;
    else if (word === '}') depth--;
    else if (depth === 0 && (word === 'if' || word === 'unless')) {
      const condition = parseCondition(args.slice(i + 1), acls);
      return { head: args.slice(0, i), when: word === 'if' ? condition : normalize(negate(condition)) };
    }
  }
  return { head: args, when: [[]] };
}

/** HAProxy conditions: terms AND-ed by juxtaposition, `or`/`||` between alternatives, `!` to negate a term. */
export function parseCondition(words: string[], acls: ReadonlyMap<string, string[]>): Condition {
  const alternatives: Condition = [];
  let conjunction: Condition = [[]];
  let negated = false;
  for (let i = 0; i < words.length; i++) {
    let word = words[i] ?? '';
    if (word === 'or' || word === '||') {
      alternatives.push(...conjunction);
      conjunction = [[]];
      continue;
    }
    if (word === '!') {
      negated = !negated;
      continue;
    }
    if (word.startsWith('!')) {
      negated = !negated;
      word = word.slice(1);
    }
    let term: Condition;
    if (word === '{') {
      const end = words.indexOf('}', i + 1);
      if (end < 0) throw new Error(`unclosed { in condition: ${words.join(' ')}`);
      // An anonymous ACL is kept as its criterion text, e.g. `ssl_fc_sni api.example.test`.
      term = [[words.slice(i + 1, end).join(' ')]];
      i = end;
    } else {
      const defs = acls.get(word);
      term = defs === undefined ? [[word]] : defs.map((def) => [def]);
    }
    conjunction = and(conjunction, negated ? negate(term) : term);
    negated = false;
  }
  alternatives.push(...conjunction);
  return normalize(alternatives);
}

function and(left: Condition, right: Condition): Condition {
  return left.flatMap((l) => right.map((r) => [...l, ...r]));
}

/** De Morgan on DNF: not (A or B) = (not A) and (not B), where not (a and b) = (not a) or (not b). */
function negate(condition: Condition): Condition {
  return condition.reduce<Condition>(
    (acc, alternative) =>
      and(
        acc,
        alternative.map((term) => [term.startsWith('!') ? term.slice(1) : `!${term}`]),
      ),
    [[]],
  );
}

/** Terms within an alternative and the alternatives themselves are sets to HAProxy, so sort and de-duplicate both. */
export function normalize(condition: Condition): Condition {
  const byKey = new Map<string, string[]>();
  for (const alternative of condition) {
    const terms = [...new Set(alternative)].sort(compare);
    byKey.set(JSON.stringify(terms), terms);
  }
  return [...byKey].sort(([a], [b]) => compare(a, b)).map(([, terms]) => terms);
}

export function unquote(word: string): string {
  return /^(["']).*\1$/.test(word) ? word.slice(1, -1) : word;
}

// Code-unit order rather than localeCompare, so sorting never depends on the machine's locale.
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
