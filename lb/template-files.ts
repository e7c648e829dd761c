// Loads the template set: switchyard's defaults from templates/, then a user's folder of overrides (lb.templatesDir).
// I/O: reads files. A bad override is reported and the previous good version (or the default) is kept.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_NAMES } from './template-specs.js';
import { compileTemplate, type RenderTemplate, type TemplateSet, type TemplateSyntax } from './templates.js';

export interface TemplateProblem {
  readonly file: string;
  readonly reason: string;
  /** False for files that are merely ignored (not a template name, a second file for one template). */
  readonly fatal: boolean;
}

/** The shipped templates/ folder, whether this runs from the sources (lb/) or the build (dist/lb/). */
export function defaultTemplatesDir(): string {
  for (const relative of ['../templates/', '../../templates/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, 'HAPROXY_HEAD.hbs'))) return dir;
  }
  throw new Error('the templates/ folder that ships with switchyard was not found');
}

const FILE = /^HAPROXY_([A-Z0-9_]+?)(\.hbs)?$/;

/**
 * Reads every default template (all must compile: they ship with switchyard), then each `HAPROXY_<NAME>` (marathon-lb
 * syntax) or `HAPROXY_<NAME>.hbs` (Handlebars) file of `overridesDir`. Files that are not templates are reported too.
 */
export async function loadTemplateSet(
  overridesDir: string | null,
  previous: TemplateSet | null = null,
  defaultsDir: string = defaultTemplatesDir(),
): Promise<{ set: TemplateSet; problems: TemplateProblem[]; overridden: string[] }> {
  const set = new Map<string, RenderTemplate>();
  for (const name of TEMPLATE_NAMES) {
    const file = join(defaultsDir, `HAPROXY_${name}.hbs`);
    const compiled = compileTemplate(name, await readFile(file, 'utf8'), 'hbs');
    if (!compiled.ok) throw new Error(`${file}: ${compiled.reason}`);
    set.set(name, compiled.render);
  }
  const problems: TemplateProblem[] = [];
  const overridden: string[] = [];
  if (overridesDir === null) return { set, problems, overridden };

  let entries: string[];
  try {
    entries = (await readdir(overridesDir)).sort();
  } catch (error) {
    problems.push({ file: overridesDir, reason: `cannot read the templates folder: ${(error as Error).message}`, fatal: true });
    return { set: previous ?? set, problems, overridden };
  }
  const seen = new Map<string, string>();
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    const file = join(overridesDir, entry);
    const match = FILE.exec(entry);
    const name = match?.[1];
    if (match === null || name === undefined || !TEMPLATE_NAMES.includes(name)) {
      problems.push({ file, reason: `not a template name (expected HAPROXY_<NAME> or HAPROXY_<NAME>.hbs, e.g. HAPROXY_BACKEND_HEAD); ignored`, fatal: false });
      continue;
    }
    const other = seen.get(name);
    if (other !== undefined) {
      problems.push({ file, reason: `${other} overrides HAPROXY_${name} already; ignored`, fatal: false });
      continue;
    }
    seen.set(name, entry);
    const syntax: TemplateSyntax = match[2] === '.hbs' ? 'hbs' : 'marathon-lb';
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push({ file, reason: `cannot read: ${(error as Error).message}`, fatal: true });
      continue;
    }
    const compiled = compileTemplate(name, text, syntax);
    if (compiled.ok) {
      set.set(name, compiled.render);
      overridden.push(name);
    } else {
      const kept = previous?.get(name);
      if (kept !== undefined) set.set(name, kept);
      problems.push({ file, reason: `${compiled.reason}; ${kept !== undefined ? 'the previous version is kept' : 'the default is used'}`, fatal: true });
    }
  }
  return { set, problems, overridden };
}
