// dns/json-pump.ts against real streams: the text arrives whole and in order, the writer yields to the event loop
// between slices and waits for a slow reader, stops pulling pieces when the stream goes away, and reports failures.
import { createServer, type ServerResponse } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pumpJson } from '../../dns/json-pump.js';

/** `count` pieces of `size` characters, each followed by a point to pause at; counts how many were pulled. */
function pieces(count: number, size: number, pulled: { n: number }): Generator<string | undefined, void> {
  return (function* () {
    for (let i = 0; i < count; i++) {
      pulled.n++;
      yield String(i % 10).repeat(size);
      yield undefined;
    }
  })();
}

/** A writable that keeps what it is given and takes each chunk after `delayMs`: a slow reader. */
function slowSink(highWaterMark: number, delayMs: number): { sink: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      chunks.push(chunk);
      setTimeout(done, delayMs);
    },
  });
  return { sink: out, text: () => chunks.join('') };
}

/**
 * An HTTP response on loopback, and what its client (fetch, in this process) read. The kernel takes each write at
 * once, yet the response asks to wait for 'drain', which comes in a nextTick.
 */
async function responseSink(): Promise<{ sink: ServerResponse; text: () => Promise<string> }> {
  let respond: (res: ServerResponse) => void = () => undefined;
  const response = new Promise<ServerResponse>((resolve) => (respond = resolve));
  const server = createServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const body = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  const sink = await response;
  return {
    sink,
    text: async () => {
      const text = await body;
      await new Promise((resolve) => server.close(resolve));
      return text;
    },
  };
}

const PIECES = 400;

describe('pumpJson', () => {
  it.each([
    // Slices cut by the clock (0 ms), the reader slow.
    ['a slow reader', false, 0],
    // Slices cut by a full socket only (the clock never runs out): each 'drain' must still let the event loop turn.
    ['an HTTP response on loopback', true, 60_000],
  ] as const)('writes every piece in order and ends the stream, in more than one slice, to %s', async (_what, loopback, sliceMs) => {
    const pulled = { n: 0 };
    const { sink: out, text } = loopback ? await responseSink() : slowSink(16 * 1024, 2);
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const result = await pumpJson(out, pieces(PIECES, 1000, pulled), sliceMs);
    counting = false;
    expect(result.complete).toBe(true);
    expect(result.slices).toBeGreaterThan(1);
    // The event loop turned between slices, as often as there were slices (less the first, run at once).
    expect(turns).toBeGreaterThanOrEqual(result.slices - 1);
    expect(out.writableFinished).toBe(true);
    expect(await text()).toBe(Array.from({ length: PIECES }, (_, i) => String(i % 10).repeat(1000)).join(''));
  });

  it('writes a small body in one slice and one write', async () => {
    const out = new PassThrough();
    const got: Buffer[] = [];
    out.on('data', (chunk: Buffer) => got.push(chunk));
    const result = await pumpJson(
      out,
      (function* () {
        yield* ['{', '"a": 1', '}'];
      })(),
    );
    expect(result).toEqual({ slices: 1, complete: true });
    expect(got.map(String)).toEqual(['{"a": 1}']);
  });

  it('stops pulling pieces once the stream is destroyed', async () => {
    const pulled = { n: 0 };
    const { sink: out } = slowSink(1024, 2);
    const pending = pumpJson(out, pieces(100_000, 1000, pulled), 0);
    setTimeout(() => out.destroy(), 20);
    const result = await pending;
    expect(result.complete).toBe(false);
    expect(pulled.n).toBeLessThan(100_000);
  });

  it('rejects with what the generator throws', async () => {
    const out = new PassThrough();
    out.resume();
    const failing = (function* (): Generator<string | undefined, void> {
      yield '{';
      throw new Error('records failed');
    })();
    await expect(pumpJson(out, failing)).rejects.toThrow('records failed');
  });
});
