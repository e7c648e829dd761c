// Turns marathon-lb template text (Python str.format: `{name}`, `{{` for a literal brace) into Handlebars source,
// so templates written for marathon-lb (label overrides, files in a templates folder) keep working. Pure.

export type Translated = { ok: true; source: string; placeholders: readonly string[] } | { ok: false; reason: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Handlebars would read `{{` in literal text as a mustache; `\{{` makes it literal again. */
function escapeLiteral(text: string): string {
  return text.replace(/\\(?=\{\{)/g, '\\\\').replace(/\{\{/g, '\\{{');
}

/**
 * Text that marathon-lb uses as it is, without str.format (HEAD, BACKEND_HTTP_OPTIONS, …): every brace is literal.
 */
export function translateLiteral(text: string): Translated {
  return { ok: true, source: escapeLiteral(text), placeholders: [] };
}

/**
 * Text that marathon-lb passes through str.format. `{name}` becomes `{{name}}`; `{{`/`}}` become literal braces.
 * Field expressions marathon-lb would also accept (`{a[b]}`, `{a.b}`, `{a:spec}`, `{a!r}`) are refused with a reason,
 * as is anything str.format itself would reject (a lone `}`, an unclosed `{`).
 */
export function translateFormat(text: string): Translated {
  let literal = '';
  let source = '';
  const placeholders = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') {
      if (text[i + 1] === '{') {
        literal += '{';
        i++;
        continue;
      }
      const end = text.indexOf('}', i + 1);
      if (end < 0) return { ok: false, reason: `unclosed "{" at offset ${i}` };
      const field = text.slice(i + 1, end);
      if (!NAME.test(field)) {
        return {
          ok: false,
          reason: field === '' ? `empty placeholder "{}" at offset ${i}` : `unsupported placeholder "{${field}}" at offset ${i} (only plain names such as {backend})`,
        };
      }
      source += escapeLiteral(literal) + `{{${field}}}`;
      literal = '';
      placeholders.add(field);
      i = end;
    } else if (ch === '}') {
      if (text[i + 1] !== '}') return { ok: false, reason: `single "}" at offset ${i} (write "}}" for a literal brace)` };
      literal += '}';
      i++;
    } else {
      literal += ch;
    }
  }
  source += escapeLiteral(literal);
  return { ok: true, source, placeholders: [...placeholders].sort() };
}
