// Cheap checks on a raw DNS message before dns2 decodes it, and a well-formed truncation of forwarded replies.
// Pure. dns2's decoder spends seconds on a 12-byte header that claims 65535 records, and joins labels with ".",
// so a label containing a dot would silently become a different name: both are refused here, before decoding.
import { HEADER_LENGTH } from './wire.js';

/** The smallest question (root name, type, class) and the smallest resource record (root name, fixed fields). */
const MIN_QUESTION = 5;
const MIN_RECORD = 11;

/** The offset just past a name in the message, or -1 when it runs off the end. Follows no pointers. */
function skipName(message: Buffer, offset: number, onLabel?: (start: number, length: number) => boolean): number {
  let at = offset;
  for (;;) {
    const length = message[at];
    if (length === undefined) return -1;
    if (length === 0) return at + 1;
    if ((length & 0xc0) === 0xc0) return at + 2 <= message.length ? at + 2 : -1;
    if (length > 63 || at + 1 + length > message.length) return -1;
    if (onLabel !== undefined && !onLabel(at + 1, length)) return -1;
    at += 1 + length;
  }
}

/** Why a message should not be decoded, or null when it may be. */
export function rejectReason(message: Buffer): string | null {
  if (message.length < HEADER_LENGTH) return 'shorter than a DNS header';
  const qd = message.readUInt16BE(4);
  const records = message.readUInt16BE(6) + message.readUInt16BE(8) + message.readUInt16BE(10);
  if (qd * MIN_QUESTION + records * MIN_RECORD > message.length - HEADER_LENGTH) return 'section counts larger than the message';
  let at = HEADER_LENGTH;
  for (let i = 0; i < qd; i++) {
    let dotted = false;
    at = skipName(message, at, (start, length) => {
      dotted = message.subarray(start, start + length).includes(0x2e);
      return !dotted;
    });
    if (dotted) return 'a question label contains "."';
    if (at < 0 || at + 4 > message.length) return 'the question runs past the end';
    at += 4;
  }
  return null;
}

/**
 * A reply too large for the client's UDP buffer, cut as an authoritative server would: header and question only,
 * with TC set and the record counts zeroed, so the client retries over TCP instead of reading a broken message.
 */
export function truncateReply(reply: Buffer, limit: number): Buffer {
  if (reply.length <= limit || reply.length < HEADER_LENGTH) return reply;
  let end = HEADER_LENGTH;
  const qd = reply.readUInt16BE(4);
  for (let i = 0; i < qd; i++) {
    const next = skipName(reply, end);
    if (next < 0 || next + 4 > reply.length) {
      end = HEADER_LENGTH;
      break;
    }
    end = next + 4;
  }
  const out = Buffer.from(reply.subarray(0, end));
  out[2] = (out[2] ?? 0) | 0x02;
  if (end === HEADER_LENGTH) out.writeUInt16BE(0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
