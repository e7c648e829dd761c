// Naming rules checked against cases computed by running mesos-dns itself, plus properties the
// DNS server relies on (valid characters, length limits) for arbitrary input.
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainFrag, fitLabel, label, slaveIdTail, taskIdHash, type LabelSpec } from '../../dns/names.js';

interface LabelCase {
  readonly Input: string;
  readonly RFC1123: string;
  readonly RFC952: string;
}

interface DomainFragCase {
  readonly Input: string;
  readonly DomainFragRFC1123: string;
  readonly DomainFragRFC952: string;
}

interface HashCase {
  readonly TaskID: string;
  readonly Hash: string;
}

interface NamingCases {
  readonly task_name_labels: readonly LabelCase[];
  readonly framework_domain_fragments: readonly DomainFragCase[];
  readonly task_id_hashes: readonly HashCase[];
}

const cases = JSON.parse(
  fs.readFileSync(new URL('../fixtures/mesos-dns/generated/naming-cases.json', import.meta.url), 'utf8'),
) as NamingCases;

const octets = (s: string): number => Buffer.byteLength(s, 'utf8');

const specs = [
  { spec: 'rfc1123', max: 63, labelField: 'RFC1123', fragField: 'DomainFragRFC1123' },
  { spec: 'rfc952', max: 24, labelField: 'RFC952', fragField: 'DomainFragRFC952' },
] as const satisfies readonly {
  spec: LabelSpec;
  max: number;
  labelField: keyof LabelCase;
  fragField: keyof DomainFragCase;
}[];

describe.each(specs)('label($spec)', ({ spec, max, labelField }) => {
  it('has fixture cases', () => {
    expect(cases.task_name_labels.length).toBeGreaterThan(0);
  });

  it.each(cases.task_name_labels.map((c) => [c.Input, c[labelField]] as const))(
    'label(%j) === %j',
    (input, expected) => {
      expect(label(input, spec)).toBe(expected);
    },
  );

  it('only yields [a-z0-9-], never with a leading or trailing dash, within the length limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = label(s, spec);
        expect(out).toMatch(/^[a-z0-9-]*$/);
        expect(out.startsWith('-')).toBe(false);
        expect(out.endsWith('-')).toBe(false);
        expect(out.length).toBeLessThanOrEqual(max);
      }),
    );
  });

  it('handles dash-heavy ASCII input the same way', () => {
    const dashy = fc.string({ unit: fc.constantFrom('a', 'Z', '7', '-', '.', '_', ' '), maxLength: 120 });
    fc.assert(
      fc.property(dashy, (s) => {
        const out = label(s, spec);
        expect(out).toMatch(/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)?$/);
        expect(out.length).toBeLessThanOrEqual(max);
      }),
    );
  });
});

describe('label: deviation from mesos-dns', () => {
  // mesos-dns would return "abcdefghijklmnopqrstuvx-" here: its pulled-back tail is not re-trimmed.
  it('trims a trailing dash left by the pulled-back tail', () => {
    expect(label('abcdefghijklmnopqrstuv--x-yz', 'rfc952')).toBe('abcdefghijklmnopqrstuvx');
  });
});

describe.each(specs)('domainFrag($spec)', ({ spec, fragField }) => {
  it('has fixture cases', () => {
    expect(cases.framework_domain_fragments.length).toBeGreaterThan(0);
  });

  it.each(cases.framework_domain_fragments.map((c) => [c.Input, c[fragField]] as const))(
    'domainFrag(%j) === %j',
    (input, expected) => {
      expect(domainFrag(input, spec)).toBe(expected);
    },
  );
});

describe('taskIdHash', () => {
  it('has fixture cases', () => {
    expect(cases.task_id_hashes.length).toBeGreaterThan(0);
  });

  it.each(cases.task_id_hashes.map((c) => [c.TaskID, c.Hash] as const))('taskIdHash(%j) === %j', (id, hash) => {
    expect(taskIdHash(id)).toBe(hash);
  });

  it('always yields 5 zbase32 characters', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(taskIdHash(s)).toMatch(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{5}$/);
      }),
    );
  });
});

describe('slaveIdTail', () => {
  it.each([
    ['20140803-125133-3041283216-5050-2410-S3', 's3'],
    ['20140803-125133-3041283216-5050-2410-0', '0'],
    ['20160107-001256-134875658-5050-27524-S1', 's1'],
    ['b3b1e3b3-1f1a-4c2c-9e1e-0d1b0c2a3f4e-S12', 's12'],
    ['S0', 's0'],
    ['', ''],
  ])('slaveIdTail(%j) === %j', (id, tail) => {
    expect(slaveIdTail(id)).toBe(tail);
  });
});

describe('fitLabel', () => {
  const base60 = 'a'.repeat(30) + 'b'.repeat(30);

  it.each([
    ['empty', ''],
    ['short', 'nginx'],
    ['63 octets', 'x'.repeat(63)],
    ['63 octets with SRV prefix', `_${'y'.repeat(62)}`],
  ])('leaves a label of at most 63 octets unchanged (%s)', (_name, input) => {
    expect(fitLabel(input)).toBe(input);
  });

  it.each([
    ['64 octets', `_${'z'.repeat(63)}`],
    ['64 octets, dash at the cut', `${'q'.repeat(50)}${'-'.repeat(10)}tail`],
    ['200 octets', 'w'.repeat(200)],
  ])('shortens a longer label to at most 63 octets ending in its hash (%s)', (_name, input) => {
    const out = fitLabel(input);
    expect(octets(out)).toBeLessThanOrEqual(63);
    expect(out.endsWith(`-${taskIdHash(input)}`)).toBe(true);
    expect(out).not.toMatch(/--[^-]{5}$/);
  });

  it('keeps the first 57 characters of a long label', () => {
    const input = `${'k'.repeat(57)}${'m'.repeat(20)}`;
    expect(fitLabel(input)).toBe(`${'k'.repeat(57)}-${taskIdHash(input)}`);
  });

  it('gives two 64-octet labels sharing 60 characters different results', () => {
    const a = `${base60}1234`;
    const b = `${base60}5678`;
    expect(octets(a)).toBe(64);
    expect(octets(b)).toBe(64);
    expect(fitLabel(a)).not.toBe(fitLabel(b));
  });

  it('is stable', () => {
    const input = `_${'s'.repeat(100)}`;
    expect(fitLabel(input)).toBe(fitLabel(input));
  });

  it('counts octets, not characters, for non-ASCII labels', () => {
    const input = 'é'.repeat(40); // 80 octets
    const out = fitLabel(input);
    expect(octets(out)).toBeLessThanOrEqual(63);
    expect(out).toBe(`${'é'.repeat(28)}-${taskIdHash(input)}`);
  });

  it('never starts with a dash when the prefix is all dashes', () => {
    const input = '-'.repeat(70);
    expect(fitLabel(input)).toBe(taskIdHash(input));
  });

  it('fits any label of [a-z0-9_-] into 63 octets', () => {
    const chars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 300 }), (s) => {
        const out = fitLabel(s);
        expect(octets(out)).toBeLessThanOrEqual(63);
        if (octets(s) <= 63) expect(out).toBe(s);
      }),
    );
  });
});
