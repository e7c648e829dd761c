// Test helper: parses an HAProxy config into its sections of whitespace-normalized directive lines. Pure.
// haproxy-cfg.ts builds the routing view that golden-config comparisons use on top of this.

/** Every HAProxy section keyword; a line starting with one of these opens a new section. */
export type SectionKind =
  | 'global'
  | 'defaults'
  | 'frontend'
  | 'backend'
  | 'listen'
  | 'userlist'
  | 'peers'
  | 'resolvers'
  | 'mailers'
  | 'program'
  | 'cache'
  | 'ring'
  | 'http-errors';

// The full list, not just the six marathon-lb writes: otherwise a stray `resolvers` block would be read as
// directives of the proxy before it and silently change that proxy's view.
const SECTION_KINDS: ReadonlySet<string> = new Set<SectionKind>([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'userlist',
  'peers',
  'resolvers',
  'mailers',
  'program',
  'cache',
  'ring',
  'http-errors',
]);

export interface HaproxySection {
  kind: SectionKind;
  /** '' for unnamed sections (`global`, plain `defaults`). */
  name: string;
  /** Directive lines in file order: comments removed, whitespace outside quotes collapsed to one space. */
  lines: string[];
}

export interface HaproxyConfig {
  sections: HaproxySection[];
}


/**
 * Splits one config line into words as HAProxy does: whitespace separates words except inside quotes or after a
 * backslash, and `#` at the start of a word begins a comment. Quotes and backslashes are kept in the words so that
 * joining them with one space gives a canonical, re-tokenizable line.
 */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (quote !== null) {
      word += ch;
      // Inside double quotes HAProxy still honours backslash escapes, so `\"` must not end the string.
      if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line.charAt(++i);
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      word += ch + line.charAt(++i);
      inWord = true;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word += ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

export function parseHaproxyConfig(text: string): HaproxyConfig {
  const sections: HaproxySection[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const words = tokenize(raw);
    const keyword = words[0];
    if (keyword === undefined) return;
    if (SECTION_KINDS.has(keyword)) {
      sections.push({ kind: keyword as SectionKind, name: words[1] ?? '', lines: [] });
      return;
    }
    const current = sections.at(-1);
    // HAProxy rejects this too; failing loudly beats attributing the line to nothing.
    if (current === undefined) throw new Error(`line ${index + 1}: directive outside any section: ${raw.trim()}`);
    current.lines.push(words.join(' '));
  });
  return { sections };
}

export function findSection(config: HaproxyConfig, kind: SectionKind, name = ''): HaproxySection | undefined {
  return config.sections.find((s) => s.kind === kind && s.name === name);
}
