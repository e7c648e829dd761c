// Parsing of Mesos UPIDs ("master@10.0.0.1:5050") and "host:port" strings, as Go's net.SplitHostPort reads them.
// Pure.
import { isIP } from 'node:net';
import type { HostPort } from './model.js';

/** Splits "host:port", "[v6]:port"; null when there is no port, the port is not 0..65535, or the host is bad. */
export function splitHostPort(raw: string): HostPort | null {
  let host: string;
  let portText: string;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0 || raw[close + 1] !== ':') return null;
    host = raw.slice(1, close);
    portText = raw.slice(close + 2);
    if (isIP(host) !== 6) return null;
  } else {
    const colon = raw.lastIndexOf(':');
    // More than one colon without brackets is an unbracketed IPv6 literal, which Go rejects too.
    if (colon < 0 || raw.indexOf(':') !== colon) return null;
    host = raw.slice(0, colon);
    portText = raw.slice(colon + 1);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535 || host === '' || /[\s/@[\]]/.test(host)) return null;
  return { raw, host, port };
}

/** Splits a UPID "id@host:port"; null unless there is exactly one "@" and a valid address after it. */
export function parseUpid(upid: string): HostPort | null {
  const parts = upid.split('@');
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) return null;
  return splitHostPort(parts[1]);
}

/** True when the host is an IP literal and needs no name lookup. */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}
