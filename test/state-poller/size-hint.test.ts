// sizeHint: a response's Content-Length as the size of a changed body's buffer. Pure.
import { describe, expect, it } from 'vitest';
import { sizeHint } from '../../state-poller/http-json.js';

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
