// getBody's handling of a body as it arrives (over loopback HTTP), and sizeHint: a response's Content-Length as the
// size of a changed body's buffer. I/O: a node:http server on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BodyCollector } from '../../state-poller/body.js';
import { getBody, sizeHint } from '../../state-poller/http-json.js';
import { SwitchyardError } from '../../state-poller/errors.js';

describe('sizeHint', () => {
  it.each([
    ['60180944', 60180944],
    ['0', 0],
    [undefined, 0],
    ['', 0],
    ['-5', 0],
    ['12abc', 0],
    ['1e6', 0],
    [['10', '10'], 0],
    [String(2 ** 30), 2 ** 30],
    [String(2 ** 30 + 1), 0],
    ['99999999999', 0],
  ])('%j → %d', (header, expected) => {
    expect(sizeHint(header)).toBe(expected);
  });
});

describe('getBody', () => {
  let server: Server | null = null;
  afterEach(async () => {
    vi.restoreAllMocks();
    await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    server = null;
  });

  it('fails the fetch, not the process, when taking in a chunk throws (a buffer that cannot be made, say)', async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"frameworks":[]}'));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/master/state`;
    vi.spyOn(BodyCollector.prototype, 'push').mockImplementation(() => {
      throw new RangeError('Array buffer allocation failed');
    });
    const failed = await getBody(url, { timeoutMs: 2000, basicAuth: null }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(SwitchyardError);
    expect((failed as SwitchyardError).code).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect((failed as SwitchyardError).message).toContain('Array buffer allocation failed');
    vi.restoreAllMocks();
    const received = await getBody(url, { timeoutMs: 2000, basicAuth: null });
    expect(received.unchanged ? null : received.body.text()).toBe('{"frameworks":[]}');
  });
});
