// Compiling HAProxy templates (Handlebars, or marathon-lb's str.format syntax translated) into render functions,
// with every placeholder checked against the template's spec first. Pure: text in, functions out.
import Handlebars from 'handlebars';
import { plainRenderer } from './template-plain.js';
import { TEMPLATES, type TemplateSpec } from './template-specs.js';
import { translateFormat, translateLiteral } from './template-syntax.js';

export type TemplateValue = string | number | readonly string[];
export type TemplateVars = Readonly<Record<string, TemplateValue>>;
export type RenderTemplate = (vars: TemplateVars) => string;

/** `hbs`: switchyard's own `.hbs` files; `marathon-lb`: text written for marathon-lb (labels, plain files). */
export type TemplateSyntax = 'hbs' | 'marathon-lb';

/** `auto`: plain templates are joined without Handlebars (lb/template-plain.ts); `handlebars`: always Handlebars. */
export type TemplateEngine = 'auto' | 'handlebars';

export type Compiled = { ok: true; render: RenderTemplate } | { ok: false; reason: string };

// One isolated instance: user templates can never register helpers or partials that other templates would see.
const hb = Handlebars.create();
const BLOCK_HELPERS: ReadonlySet<string> = new Set(['each', 'if', 'unless', 'with']);
const HELPER_NAMES: ReadonlySet<string> = new Set(Object.keys(hb.helpers));

interface Node {
  type: string;
  value?: unknown;
  path?: { type: string; original?: unknown; head?: unknown; parts?: unknown; depth?: unknown; data?: unknown };
  params?: Node[];
  hash?: unknown;
  body?: Node[];
  program?: { body: Node[] } | null;
  inverse?: { body: Node[] } | null;
}

/** The names a Handlebars program reads from its top-level context; block bodies switch context and are skipped. */
function topLevelNames(body: readonly Node[], into: Set<string>, problems: string[]): void {
  for (const node of body) {
    if (node.type === 'MustacheStatement' || node.type === 'BlockStatement') {
      const path = node.path;
      const name = typeof path?.original === 'string' ? path.original : '';
      if (node.type === 'BlockStatement') {
        if (!BLOCK_HELPERS.has(name)) problems.push(`unknown block helper "#${name}"`);
        for (const param of node.params ?? []) {
          if (param.type === 'PathExpression') into.add(String((param as unknown as { original: unknown }).original));
        }
        // Inside #if/#unless the context is unchanged, so their bodies read top-level names too.
        if (name === 'if' || name === 'unless') {
          topLevelNames(node.program?.body ?? [], into, problems);
          topLevelNames(node.inverse?.body ?? [], into, problems);
        }
      } else if ((node.params ?? []).length > 0) {
        problems.push(`helper call "{{${name} …}}" is not allowed`);
      } else {
        into.add(name);
      }
    } else if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement' || node.type === 'DecoratorBlock') {
      problems.push('partials and decorators are not allowed');
    }
  }
}

/** Trims a server health-check template and prefixes one space, as marathon-lb does (so it follows `id N`). */
function serverCheckText(text: string): string {
  const trimmed = text.trim();
  return trimmed === '' ? '' : ` ${trimmed}`;
}

function isServerCheckTemplate(name: string): boolean {
  return name === 'BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS' || name === 'BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS';
}

/**
 * Compiles one template. Every placeholder must be one the spec names, so rendering cannot fail later for a
 * missing value; unknown placeholders, helpers and partials are refused with a reason.
 */
export function compileTemplate(name: string, text: string, syntax: TemplateSyntax, engine: TemplateEngine = 'auto'): Compiled {
  const spec: TemplateSpec | undefined = TEMPLATES.get(name);
  if (spec === undefined) return { ok: false, reason: `HAPROXY_${name} is not a marathon-lb template name` };
  let source: string;
  if (syntax === 'marathon-lb') {
    const adjusted = isServerCheckTemplate(name) ? serverCheckText(text.replace(/\r\n/g, '\n')) : text.replace(/\r\n/g, '\n');
    const translated = spec.formatted ? translateFormat(adjusted) : translateLiteral(adjusted);
    if (!translated.ok) return { ok: false, reason: translated.reason };
    source = translated.source;
  } else {
    source = text;
  }
  let ast: { body: Node[] };
  try {
    ast = hb.parse(source) as unknown as { body: Node[] };
  } catch (error) {
    return { ok: false, reason: `not a valid Handlebars template: ${(error as Error).message.split('\n')[0] ?? ''}` };
  }
  const names = new Set<string>();
  const problems: string[] = [];
  topLevelNames(ast.body, names, problems);
  const allowed = new Set(spec.vars);
  for (const n of [...names].sort()) {
    if (!allowed.has(n)) {
      problems.push(`unknown placeholder "${n}" (HAPROXY_${name} has ${spec.vars.length === 0 ? 'none' : spec.vars.join(', ')})`);
    }
  }
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  let template: ReturnType<typeof hb.compile>;
  try {
    template = hb.compile(source, { noEscape: true, strict: true });
    // Compile eagerly (Handlebars compiles on first call) so syntax errors surface here, not at render time.
    template(Object.fromEntries(spec.vars.map((v) => [v, ''])));
  } catch (error) {
    return { ok: false, reason: `not a valid Handlebars template: ${(error as Error).message.split('\n')[0] ?? ''}` };
  }
  const defaults = Object.fromEntries(spec.vars.map((v) => [v, '']));
  const server = syntax === 'hbs' && isServerCheckTemplate(name);
  // The checks above passed, so the plain renderer reads only names of the spec. It reads a missing one as '' itself
  // (it refuses names Object.prototype has), so it is not given the defaults: merging them made an object per
  // rendered fragment (every server line). Handlebars is.
  const plain = engine === 'auto' ? plainRenderer(ast.body, HELPER_NAMES) : null;
  const run = plain ?? ((vars: Readonly<Record<string, unknown>>) => template(Object.assign({}, defaults, vars)));
  return {
    ok: true,
    render: (vars) => {
      // String(): Handlebars returns a number for a program of numeric placeholders only ({{port}}).
      const out = String(run(vars));
      return server ? serverCheckText(out) : out;
    },
  };
}

/** A complete set of global templates: name → render function. */
export type TemplateSet = ReadonlyMap<string, RenderTemplate>;
