// The README's template reference, generated from the template specs so the two cannot drift apart. Pure.
import { TEMPLATE_SPECS } from './template-specs.js';

export function templateReferenceMarkdown(): string {
  const lines = ['| Template | Per-app label | Placeholders |', '|---|---|---|'];
  for (const s of TEMPLATE_SPECS) {
    const label = s.scope === 'port' && s.name !== 'HTTP_BACKEND_REDIR' ? `\`HAPROXY_{n}_${s.name}\`` : '–';
    const vars = s.vars.length === 0 ? 'none (used as written)' : s.vars.map((v) => `\`${v}\``).join(', ');
    lines.push(`| \`HAPROXY_${s.name}\`${s.unused === true ? ' (never emitted, as in marathon-lb)' : ''} | ${label} | ${vars} |`);
  }
  return lines.join('\n') + '\n';
}
