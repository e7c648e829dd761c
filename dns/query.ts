// dns2 packets → the Query that answer() reads, the query re-encoded for an upstream, and the pre-decode guard.
// Pure, apart from installParseGuard, which wraps dns2's decoder once per process.
import dns2 from 'dns2';
import { fullyQualified, type Query } from './answer.js';
import { rejectReason } from './message-check.js';
import { CLASS_IN, HEADER_LENGTH, TYPE, encodeQuestion, optRecord } from './wire.js';

export type Dns2Packet = InstanceType<typeof dns2.Packet>;

let guardInstalled = false;

/**
 * dns2's TCP server calls Packet.parse itself, so the pre-decode checks of message-check.ts are put in front of it.
 * They only refuse messages that cannot be valid (counts larger than the message, a "." inside a question label).
 */
export function installParseGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  const original = dns2.Packet.parse.bind(dns2.Packet);
  dns2.Packet.parse = (buffer: Buffer): Dns2Packet => {
    const reason = rejectReason(buffer);
    if (reason !== null) throw new Error(`malformed DNS message: ${reason}`);
    return original(buffer);
  };
}

/** dns2's Packet → the fields answer() needs. */
export function queryFromPacket(packet: Dns2Packet): Query {
  const question = packet.questions[0];
  const opt = packet.additionals.find((r) => r.type === TYPE.OPT) as
    | { class?: number; version?: number }
    | undefined;
  return {
    id: packet.header.id,
    opcode: packet.header.opcode,
    rd: packet.header.rd === 1,
    qdcount: packet.questions.length,
    name: question?.name ?? '',
    type: question?.type ?? 0,
    qclass: question?.class ?? CLASS_IN,
    edns: opt === undefined ? null : { udpSize: opt.class ?? 512, version: opt.version ?? 0 },
  };
}

/** The query re-encoded for an upstream resolver: same ID, RD and question, and an OPT when the client sent one. */
export function forwardQueryBytes(query: Query): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(query.id, 0);
  header[2] = query.rd ? 0x01 : 0;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(query.edns === null ? 0 : 1, 10);
  const parts = [header, encodeQuestion(fullyQualified(query.name), query.type, query.qclass)];
  if (query.edns !== null) parts.push(optRecord(Math.max(512, query.edns.udpSize)));
  return Buffer.concat(parts);
}
