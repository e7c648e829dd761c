// DNS wire format (RFC 1035) for the few record types switchyard serves, with name compression against the question.
// Pure. Every record is compressed only against the question name at offset 12, so records can be reordered or
// dropped as whole byte strings without breaking pointers.

export const TYPE = { A: 1, NS: 2, SOA: 6, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export const HEADER_LENGTH = 12;
/** Where the question name starts: what every record's compression points into. */
export const QUESTION_OFFSET = HEADER_LENGTH;
/** A compression pointer to the question name: the owner of every answer record. */
export const QUESTION_POINTER = 0xc000 | QUESTION_OFFSET;

/** Splits a fully qualified name ("a.b.") into labels; the root "." has none. */
export function labelsOf(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  return trimmed === '' ? [] : trimmed.split('.');
}

/** Uncompressed wire form of a name. Labels are written as latin1 bytes, which keeps case as asked. */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of labelsOf(name)) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`label "${label}" is not 1..63 octets`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** The question name's labels (lower case) with the offset each suffix starts at, for compression pointers. */
export interface CompressionContext {
  readonly labels: readonly string[];
  readonly offsets: readonly number[];
}

export function compressionContext(questionName: string): CompressionContext {
  const labels = labelsOf(questionName.toLowerCase());
  const offsets: number[] = [];
  let offset = QUESTION_OFFSET;
  for (const label of labels) {
    offsets.push(offset);
    offset += 1 + Buffer.byteLength(label, 'latin1');
  }
  return { labels, offsets };
}

/** A name, written as its own leading labels plus a pointer to the longest suffix it shares with the question. */
export function encodeCompressedName(name: string, ctx: CompressionContext): Buffer {
  const labels = labelsOf(name.toLowerCase());
  let shared = 0;
  while (
    shared < labels.length &&
    shared < ctx.labels.length &&
    labels[labels.length - 1 - shared] === ctx.labels[ctx.labels.length - 1 - shared]
  ) {
    shared++;
  }
  if (shared === 0) return encodeName(name);
  const own = labels.slice(0, labels.length - shared);
  const pointerOffset = ctx.offsets[ctx.labels.length - shared] ?? QUESTION_OFFSET;
  const head = own.length === 0 ? Buffer.alloc(0) : encodeName(`${own.join('.')}.`).subarray(0, -1);
  return Buffer.concat([head, Buffer.from([0xc0 | (pointerOffset >> 8), pointerOffset & 0xff])]);
}

/** One resource record: owner, type, class IN, TTL, then RDATA. */
export function encodeRecord(owner: Buffer, type: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(ttl >>> 0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

/** 16 bytes of an IPv6 address in any textual form node:net accepts (including "::" and embedded IPv4). */
export function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Bytes(tail);
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

export function srvRdata(priority: number, weight: number, port: number, target: Buffer): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(priority, 0);
  fixed.writeUInt16BE(weight, 2);
  fixed.writeUInt16BE(port, 4);
  return Buffer.concat([fixed, target]);
}

export interface SoaFields {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export function soaRdata(soa: SoaFields, ctx: CompressionContext): Buffer {
  const numbers = Buffer.alloc(20);
  [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].forEach((n, i) => numbers.writeUInt32BE(n >>> 0, i * 4));
  return Buffer.concat([encodeCompressedName(soa.mname, ctx), encodeCompressedName(soa.rname, ctx), numbers]);
}

/** An OPT pseudo-record (RFC 6891) advertising our UDP payload size; extendedRcode is the upper 8 bits. */
export function optRecord(udpPayloadSize: number, extendedRcode = 0): Buffer {
  const out = Buffer.alloc(11);
  out.writeUInt8(0, 0);
  out.writeUInt16BE(TYPE.OPT, 1);
  out.writeUInt16BE(udpPayloadSize, 3);
  out.writeUInt8(extendedRcode, 5);
  return out;
}

export interface HeaderFields {
  readonly id: number;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly rcode: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

/** A response header (QR set). */
export function encodeHeader(h: HeaderFields): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  out.writeUInt16BE(h.id & 0xffff, 0);
  out[2] = 0x80 | ((h.opcode & 0xf) << 3) | (h.aa ? 0x04 : 0) | (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0);
  out[3] = (h.ra ? 0x80 : 0) | (h.rcode & 0xf);
  out.writeUInt16BE(h.qdcount, 4);
  out.writeUInt16BE(h.ancount, 6);
  out.writeUInt16BE(h.nscount, 8);
  out.writeUInt16BE(h.arcount, 10);
  return out;
}

/** The question section for one name (written with the case it was asked in), type and class. */
export function encodeQuestion(name: string, type: number, qclass: number): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(qclass, 2);
  return Buffer.concat([encodeName(name), tail]);
}
