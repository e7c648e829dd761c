// Tracing `haproxy -c` complaints back to the services whose lines they name (lb/culprits.ts).
import { describe, expect, it } from 'vitest';
import { culpritsOf } from '../../lb/culprits.js';

const owners = [null, null, 'web_10000', 'web_10000', 'api_10001'];
const backends = new Set(['web_10000', 'api_10001']);
const alert = (text: string): string => `[NOTICE]   (1) : haproxy version is 2.6.12\n[ALERT]    (1) : config : ${text}\n[ALERT]    (1) : config : Fatal errors found in configuration.\n`;

describe('culpritsOf', () => {
  it.each([
    ["parsing [/x/c.cfg:4] : 'bind *:10000' : unable to stat SSL certificate from file '/nope.pem'", ['web_10000']],
    ["parsing [/x/c.cfg:5] : unknown keyword 'reqadd' in 'backend' section", ['api_10001']],
    ["Proxy 'api_10001': unable to find required use_backend: 'x'.", ['api_10001']],
  ])('%s → %j', (text, expected) => {
    expect([...(culpritsOf(alert(text), '/x/c.cfg', owners, backends) ?? [])]).toEqual(expected);
  });

  it.each([
    ["parsing [/x/c.cfg:2] : unknown keyword 'bogus' in 'global' section"],
    ["parsing [/other.cfg:4] : something"],
    ['some complaint that names nothing'],
    ["Proxy 'marathon_http_in': unable to find required use_backend: 'x'."],
  ])('blames no app (the whole config is rejected): %s', (text) => {
    expect(culpritsOf(alert(text), '/x/c.cfg', owners, backends)).toBeNull();
  });

  it('every complaint must name an app', () => {
    const two = `${alert("parsing [/x/c.cfg:4] : bad")}[ALERT]    (1) : config : parsing [/x/c.cfg:1] : bad global\n`;
    expect(culpritsOf(two, '/x/c.cfg', owners, backends)).toBeNull();
  });
});
