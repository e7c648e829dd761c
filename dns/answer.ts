// Question → reply bytes for the authoritative zone: rcodes, EDNS0, truncation to the client's buffer, rotation.
// Pure: the caller passes the zone, the parsed question, the transport and a rotation counter.
import type { Zone } from './zone.js';
import {
  CLASS_ANY,
  CLASS_IN,
  HEADER_LENGTH,
  RCODE,
  encodeHeader,
  encodeQuestion,
  optRecord,
} from './wire.js';

/** The parts of a DNS query that answering needs; produced from the packet by the server. */
export interface Query {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly qdcount: number;
  /** The question name exactly as asked, with or without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
  /** The client's OPT record, when it sent one. */
  readonly edns: { readonly udpSize: number; readonly version: number } | null;
}

export interface AnswerOptions {
  readonly transport: 'udp' | 'tcp';
  /** Rotates the answer section so that successive clients see addresses in a different order. */
  readonly rotation: number;
  /** The RA flag on authoritative answers (mesos-dns `recurseon`). */
  readonly recursionAvailable: boolean;
  /** Whether outside names may be forwarded; when false they are REFUSED. */
  readonly forwarding: boolean;
  /** mesos-dns `SetTruncateBit`: false never sets TC (non-compliant, kept for old clients). */
  readonly setTruncateBit: boolean;
}

export type Outcome =
  | { readonly kind: 'reply'; readonly reply: Buffer; readonly rcode: number; readonly truncated: boolean; readonly authoritative: boolean }
  | { readonly kind: 'forward' };

/** The UDP payload size switchyard advertises in its OPT record (the DNS Flag Day 2020 recommendation). */
export const ADVERTISED_UDP_SIZE = 1232;
const PLAIN_UDP_LIMIT = 512;
const TCP_LIMIT = 65535;
const OPCODE_QUERY = 0;
const RCODE_BADVERS = 16;

/** Lower-cases ASCII only, so the byte length never changes (compression offsets depend on it). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

export function fullyQualified(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** The largest reply the client can take: 65535 over TCP; over UDP 512, or its EDNS buffer size. */
export function sizeLimit(query: Query, transport: 'udp' | 'tcp'): number {
  return sizeLimitFor(transport, query.edns === null ? null : query.edns.udpSize);
}

/** sizeLimit from the transport and the EDNS buffer size (null without EDNS), for the fast path's own reading. */
export function sizeLimitFor(transport: 'udp' | 'tcp', udpSize: number | null): number {
  if (transport === 'tcp') return TCP_LIMIT;
  if (udpSize === null) return PLAIN_UDP_LIMIT;
  return Math.min(TCP_LIMIT, Math.max(PLAIN_UDP_LIMIT, udpSize));
}

function sum(parts: readonly Buffer[]): number {
  let total = 0;
  for (const p of parts) total += p.length;
  return total;
}

interface Sections {
  readonly rcode: number;
  readonly aa: boolean;
  readonly answers: readonly Buffer[];
  readonly authority: readonly Buffer[];
  readonly additional: readonly Buffer[];
}

/** Assembles header, question, sections and OPT; drops additional records, then answers, until the reply fits. */
function assemble(query: Query, sections: Sections, options: AnswerOptions, ra: boolean): Outcome {
  let question: Buffer;
  try {
    question = query.qdcount === 1 ? encodeQuestion(fullyQualified(query.name), query.type, query.qclass) : Buffer.alloc(0);
  } catch {
    // A name we cannot write back (an empty or over-long label): FORMERR without a question section.
    return assemble({ ...query, qdcount: 0 }, { rcode: RCODE.FORMERR, aa: false, answers: [], authority: [], additional: [] }, options, ra);
  }
  const extended = sections.rcode >> 4;
  const opt = query.edns === null ? Buffer.alloc(0) : optRecord(ADVERTISED_UDP_SIZE, extended);
  const limit = sizeLimit(query, options.transport);
  const fixed = HEADER_LENGTH + question.length + opt.length + sum(sections.authority);

  let answers = sections.answers;
  if (answers.length > 1 && options.rotation !== 0) {
    const shift = options.rotation % answers.length;
    answers = [...answers.slice(shift), ...answers.slice(0, shift)];
  }
  let additional = sections.additional;
  let truncated = false;
  if (fixed + sum(answers) + sum(additional) > limit) {
    // Additional data is optional: dropping it does not make the reply truncated (RFC 2181 §9).
    additional = [];
    if (fixed + sum(answers) > limit) {
      const kept: Buffer[] = [];
      let size = fixed;
      for (const record of answers) {
        if (size + record.length > limit) break;
        kept.push(record);
        size += record.length;
      }
      answers = kept;
      truncated = true;
    }
  }
  const header = encodeHeader({
    id: query.id,
    opcode: query.opcode,
    aa: sections.aa,
    tc: truncated && options.setTruncateBit,
    rd: query.rd,
    ra,
    rcode: sections.rcode & 0xf,
    qdcount: question.length > 0 ? 1 : 0,
    ancount: answers.length,
    nscount: sections.authority.length,
    arcount: additional.length + (opt.length > 0 ? 1 : 0),
  });
  const bytes = Buffer.concat([header, question, ...answers, ...sections.authority, ...additional, opt]);
  return { kind: 'reply', reply: bytes, rcode: sections.rcode, truncated, authoritative: sections.aa };
}

/** A reply with no records: errors, REFUSED, SERVFAIL before the first state. */
export function reply(query: Query, rcode: number, aa: boolean, options: AnswerOptions, ra = options.recursionAvailable): Outcome {
  return assemble(query, { rcode, aa, answers: [], authority: [], additional: [] }, options, ra);
}

/**
 * Answers one query. `zone` is null until the first good state is loaded; `apex` is the configured domain
 * ("mesos.") so that questions in the domain get SERVFAIL rather than NXDOMAIN before then.
 */
export function answer(zone: Zone | null, apex: string, query: Query, options: AnswerOptions): Outcome {
  if (query.opcode !== OPCODE_QUERY) return reply(query, RCODE.NOTIMP, false, options);
  if (query.qdcount !== 1) return reply(query, RCODE.FORMERR, false, options);
  if (query.edns !== null && query.edns.version > 0) return reply(query, RCODE_BADVERS, false, options);

  const name = asciiLower(fullyQualified(query.name));
  const inDomain = name === apex || name.endsWith(`.${apex}`);
  if (!inDomain) {
    if (options.forwarding) {
      // Only a question that can be written back out is forwarded.
      try {
        encodeQuestion(fullyQualified(query.name), query.type, query.qclass);
      } catch {
        return reply(query, RCODE.FORMERR, false, options);
      }
      return { kind: 'forward' };
    }
    return reply(query, RCODE.REFUSED, false, options, false);
  }
  if (query.qclass !== CLASS_IN && query.qclass !== CLASS_ANY) return reply(query, RCODE.REFUSED, false, options);
  if (zone === null) return reply(query, RCODE.SERVFAIL, false, options);
  const found = zone.answer(name, query.type);
  return assemble(query, { ...found, aa: true }, options, options.recursionAvailable);
}
