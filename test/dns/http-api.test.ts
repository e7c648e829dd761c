// The mesos-dns HTTP API: route tables over the fixture records (pure routeV1), and the real node:http shell.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpApi, routeV1, type HttpView } from '../../dns/http-api.js';
import { parseConfig, redactConfig } from '../../cli/config.js';
import { recordsFromFile } from '../helpers/zone.js';

const { config } = parseConfig(
  { masters: ['127.0.0.1:5050'], mesosAuthentication: 'basic', mesosCredentials: { principal: 'dns', secret: 's3cret' } },
  'test',
);
const records = recordsFromFile('generated/served-master-state.json');
const view: HttpView = {
  records,
  enumerate: function* () {
    return records.frameworks;
  },
  domain: 'mesos',
  ttl: 60,
  serial: 1234,
  refreshSeconds: 60,
  mname: 'ns1.mesos.',
  rname: 'root.ns1.mesos.',
  enumerationOn: true,
  version: '9.9.9',
  config: redactConfig(config),
};

/** What mesos-dns's /v1/axfr gives for `view`'s zone fields and these record sets. */
const axfrDocument = (records: Record<'As' | 'AAAAs' | 'SRVs', unknown>): unknown => ({
  TTL: 60,
  Serial: 1234,
  RefreshSeconds: 60,
  Mname: 'ns1.mesos.',
  Rname: 'root.ns1.mesos.',
  Domain: 'mesos',
  Records: records,
});

/** Starts `api` on a free loopback port for the tests of the enclosing describe, and stops it after them. */
function serveApi(api: HttpApi): { url: string } {
  const served = { url: '' };
  beforeAll(async () => {
    served.url = `http://127.0.0.1:${await api.start(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await api.close();
  });
  return served;
}

describe('routeV1', () => {
  it.each([
    ['/v1/version', 200, { Service: 'switchyard', URL: '', Version: '9.9.9' }],
    ['/v1/hosts/chronos.marathon.mesos', 200, [{ host: 'chronos.marathon.mesos.', ip: '1.2.3.11' }]],
    ['/v1/hosts/CHRONOS.marathon.mesos.', 200, [{ host: 'chronos.marathon.mesos.', ip: '1.2.3.11' }]],
    ['/v1/hosts/missing.mesos', 404, [{ host: '', ip: '' }]],
    ['/v1/hosts/chronos.marathon.mesos/ports', 501, { error: 'not implemented, as in mesos-dns' }],
    [
      '/v1/services/_http._liquor-store._tcp.marathon.mesos',
      200,
      [
        { service: '_http._liquor-store._tcp.marathon.mesos', host: 'liquor-store-4dfjd-0.marathon.mesos.', ip: '1.2.3.11', port: '80' },
        { service: '_http._liquor-store._tcp.marathon.mesos', host: 'liquor-store-zasmd-1.marathon.mesos.', ip: '1.2.3.12', port: '80' },
      ],
    ],
    ['/v1/services/_missing._tcp.marathon.mesos', 404, [{ service: '', host: '', ip: '', port: '' }]],
    ['/v1/nothing', 404, { error: 'no such resource: /v1/nothing' }],
  ] as const)('GET %s → %i', (path, status, body) => {
    expect(routeV1(view, 'GET', path)).toEqual({ status, body });
  });

  it('lists both address families of a name', () => {
    const answer = routeV1(view, 'GET', '/v1/hosts/slave.mesos');
    expect((answer?.body as { ip: string }[]).map((r) => r.ip).sort()).toEqual(['1.2.3.10', '1.2.3.11', '1.2.3.12', '2001:db8::1']);
  });

  it('never shows the Mesos secret in /v1/config', () => {
    const text = JSON.stringify(routeV1(view, 'GET', '/v1/config')?.body);
    expect(text).not.toContain('s3cret');
    expect(text).toContain('[redacted]');
    expect(text).toContain('"principal":"dns"');
  });

  it('hides /v1/enumerate and /v1/axfr when EnumerationOn is false', () => {
    expect(routeV1({ ...view, enumerationOn: false }, 'GET', '/v1/axfr')?.status).toBe(404);
    expect(routeV1({ ...view, enumerationOn: false }, 'GET', '/v1/enumerate')?.status).toBe(404);
  });

  it('refuses other methods and leaves other paths to the extra routes', () => {
    expect(routeV1(view, 'POST', '/v1/version')?.status).toBe(405);
    expect(routeV1(view, 'GET', '/healthz')).toBeNull();
  });
});

describe('HttpApi over a real socket', () => {
  const served = serveApi(new HttpApi(() => view, pino({ level: 'silent' }), (_method, path) => (path === '/extra' ? { status: 200, body: 'plain text\n' } : null)));

  it('serves pretty-printed JSON with the status of the route', async () => {
    const response = await fetch(`${served.url}/v1/hosts/missing.mesos`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.text()).toBe(`${JSON.stringify([{ host: '', ip: '' }], null, 2)}\n`);
  });

  it('writes /v1/axfr as the document of the records, pretty-printed', async () => {
    const response = await fetch(`${served.url}/v1/axfr`);
    const srvs = Object.fromEntries([...records.srv].map(([name, targets]) => [name, targets.map((t) => `${t.target}:${t.port}`)]));
    const expected = axfrDocument({ As: Object.fromEntries(records.a), AAAAs: Object.fromEntries(records.aaaa), SRVs: srvs });
    expect(Object.keys(srvs).length).toBeGreaterThan(0);
    expect(await response.text()).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  it('writes /v1/enumerate from its steps', async () => {
    const text = await (await fetch(`${served.url}/v1/enumerate`)).text();
    expect(text).toBe(`${JSON.stringify({ frameworks: records.frameworks }, null, 2)}\n`);
  });

  it('serves an extra route, and 404 for anything unknown', async () => {
    expect(await (await fetch(`${served.url}/extra`)).text()).toBe('plain text\n');
    expect((await fetch(`${served.url}/nope`)).status).toBe(404);
  });
});

describe('HttpApi when /v1/enumerate cannot be built', () => {
  let built = 0;
  const failing: HttpView = {
    ...view,
    enumerate: function* () {
      built++;
      yield;
      throw new Error('no records');
    },
  };
  const served = serveApi(new HttpApi(() => failing, pino({ level: 'silent' })));

  it('answers 500 when the body fails before any of it is written', async () => {
    const response = await fetch(`${served.url}/v1/enumerate`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal error' });
  });

  it('answers HEAD without building the records', async () => {
    built = 0;
    const response = await fetch(`${served.url}/v1/enumerate`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(built).toBe(0);
  });
});

describe('HttpApi writing a large /v1/axfr', () => {
  const names = Array.from({ length: 20_000 }, (_, i) => [`task-${i}.marathon.mesos.`, [`10.1.${i >> 8}.${i & 255}`]] as const);
  /** An A map that gives `failAfter` names and then throws (a bug while the body is written), or every name. */
  class Names extends Map<string, readonly string[]> {
    constructor(private readonly failAfter = Number.POSITIVE_INFINITY) {
      super(names);
    }

    override *[Symbol.iterator](): MapIterator<[string, readonly string[]]> {
      let given = 0;
      for (const entry of super.entries()) {
        if (given++ === this.failAfter) throw new Error('the records broke');
        yield entry;
      }
    }
  }
  const large = (failAfter?: number): HttpView => ({ ...view, records: { ...records, a: new Names(failAfter), aaaa: new Map(), srv: new Map() } });
  let current = large();
  const served = serveApi(new HttpApi(() => current, pino({ level: 'silent' })));

  it('sends it in chunks as it is written, the same text as the document', async () => {
    current = large();
    const response = await fetch(`${served.url}/v1/axfr`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    const expected = axfrDocument({ As: Object.fromEntries(names), AAAAs: {}, SRVs: {} });
    const text = await response.text();
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  it('cuts the body short when it fails after its head has gone out', async () => {
    current = large(15_000);
    const response = await fetch(`${served.url}/v1/axfr`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });
});

