// Plain templates (text and `{{name}}` only) are joined without Handlebars: the output must be what Handlebars gives,
// for every shipped template and for random templates in both syntaxes, with random values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { defaultTemplatesDir } from '../../lb/template-files.js';
import { plainRenderer } from '../../lb/template-plain.js';
import { TEMPLATE_NAMES, TEMPLATES } from '../../lb/template-specs.js';
import { compileTemplate, type TemplateSyntax, type TemplateVars } from '../../lb/templates.js';

const hb = Handlebars.create();
const helpers = new Set(Object.keys(hb.helpers));
const shipped = (name: string): string => readFileSync(join(defaultTemplatesDir(), `HAPROXY_${name}.hbs`), 'utf8');

// Values as the view passes them, and text that could confuse a template engine.
const value = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', '0', ' ', '\n', '{', '}', '\\', '~', '"', '&', '<', '_', '/') }),
  fc.integer({ min: -5, max: 70000 }),
  fc.array(fc.constantFrom('crt /a.pem', 'x', ''), { maxLength: 3 }),
);
const varsFor = (name: string): fc.Arbitrary<TemplateVars> =>
  fc.record(Object.fromEntries((TEMPLATES.get(name)?.vars ?? []).map((v) => [v, value])), { requiredKeys: [] }) as fc.Arbitrary<TemplateVars>;

function both(name: string, text: string, syntax: TemplateSyntax): { fast: ReturnType<typeof compileTemplate>; slow: ReturnType<typeof compileTemplate> } {
  return { fast: compileTemplate(name, text, syntax), slow: compileTemplate(name, text, syntax, 'handlebars') };
}

describe('plain templates', () => {
  it('cover every shipped template but HEAD (which has #if and #each)', () => {
    const handlebarsOnly = TEMPLATE_NAMES.filter((name) => plainRenderer(hb.parse(shipped(name)).body, helpers) === null);
    expect(handlebarsOnly).toEqual(['HEAD']);
  });

  it('leaves to Handlebars a name Object.prototype has (missing from the vars, it would read as a function)', () => {
    for (const name of ['toString', 'constructor', 'valueOf']) expect(plainRenderer(hb.parse(`a {{${name}}}`).body, helpers)).toBeNull();
    expect(plainRenderer(hb.parse('a {{backend}}').body, helpers)?.({})).toBe('a ');
  });

  it.each(TEMPLATE_NAMES)('HAPROXY_%s renders as Handlebars renders it', (name) => {
    const { fast, slow } = both(name, shipped(name), 'hbs');
    if (!fast.ok || !slow.ok) throw new Error(`${name} does not compile`);
    fc.assert(fc.property(varsFor(name), (vars) => fast.render(vars) === slow.render(vars)), { numRuns: 200 });
  });

  const pieces = (name: string, syntax: TemplateSyntax): fc.Arbitrary<string> => {
    const vars = TEMPLATES.get(name)?.vars ?? [];
    const placeholder = vars.length === 0 ? fc.constant('x') : fc.constantFrom(...vars);
    const common = [fc.constantFrom(' ', '\n', '  ', 'acl x', '{{', '}}', '\\', '\\\\', '~', '{ ssl_fc }', '#', '!')];
    const specific =
      syntax === 'marathon-lb'
        ? [placeholder.map((v) => `{${v}}`), fc.constantFrom('{', '}', '{{{{', '}}}}')]
        : [
            placeholder.map((v) => `{{${v}}}`),
            placeholder.map((v) => `{{~${v}~}}`),
            placeholder.map((v) => `{{{${v}}}}`),
            placeholder.map((v) => `\\{{${v}}}`),
            placeholder.map((v) => `{{#if ${v}}}y{{/if}}`),
            fc.constantFrom('{{!-- note --}}\n', '{{! c }}', '{{this}}', '{{@index}}', '{{./backend}}', '{{log}}', '{{lookup}}'),
          ];
    return fc.array(fc.oneof(...common, ...specific), { maxLength: 12 }).map((parts) => parts.join(''));
  };

  it.each(['BACKEND_SERVER_OPTIONS', 'FRONTEND_HEAD', 'HTTP_FRONTEND_ACL', 'BACKEND_HTTP_OPTIONS', 'BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS'])(
    'random templates for HAPROXY_%s render as Handlebars renders them, in both syntaxes',
    (name) => {
      for (const syntax of ['hbs', 'marathon-lb'] as const) {
        fc.assert(
          fc.property(pieces(name, syntax), varsFor(name), (text, vars) => {
            const { fast, slow } = both(name, text, syntax);
            expect(fast.ok).toBe(slow.ok);
            if (fast.ok && slow.ok) expect(fast.render(vars)).toBe(slow.render(vars));
          }),
          { numRuns: 300 },
        );
      }
    },
  );
});
