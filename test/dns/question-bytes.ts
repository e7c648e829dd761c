// Test helper: DNS query messages built byte by byte (header flags, one question, an optional OPT record with a
// COOKIE or client-subnet option), so the fast and general paths can be fed exactly the same bytes. Pure.

export interface Ask {
  /** Dotted, without the trailing dot; "" is the root. Characters are written as latin1 bytes. */
  readonly name: string;
  readonly type: number;
  readonly qclass?: number;
  readonly id?: number;
  readonly rd?: boolean;
  /** The whole flags field, instead of RD alone. */
  readonly flags?: number;
  /** QDCOUNT as written in the header (the message still holds one question). */
  readonly qdcount?: number;
  /** The OPT record's UDP size; null or absent for no OPT record. */
  readonly edns?: number | null;
  readonly ednsVersion?: number;
  /** An 8-byte client COOKIE option, as dig sends by default. */
  readonly cookie?: boolean;
  /** An EDNS client-subnet option. */
  readonly ecs?: boolean;
}

/** The wire form of a name from its labels (each label's characters as latin1 bytes). */
export function wireName(labels: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) parts.push(Buffer.from([label.length]), Buffer.from(label, 'latin1'));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A query for `ask`; `labels` overrides how the name is split (to put a "." byte inside a label). */
export function question(ask: Ask, labels?: readonly string[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(ask.id ?? 0x4242, 0);
  header.writeUInt16BE(ask.flags ?? (ask.rd === false ? 0 : 0x0100), 2);
  header.writeUInt16BE(ask.qdcount ?? 1, 4);
  const edns = ask.edns ?? null;
  header.writeUInt16BE(edns === null ? 0 : 1, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(ask.type, 0);
  tail.writeUInt16BE(ask.qclass ?? 1, 2);
  const parts = [header, wireName(labels ?? ask.name.split('.').filter((l) => l !== '')), tail];
  if (edns !== null) {
    const options: Buffer[] = [];
    if (ask.cookie === true) options.push(Buffer.from('000a00080102030405060708', 'hex'));
    if (ask.ecs === true) options.push(Buffer.from('0008000700011800c0a801', 'hex'));
    const rdata = Buffer.concat(options);
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(edns, 3);
    opt[6] = ask.ednsVersion ?? 0;
    opt.writeUInt16BE(rdata.length, 9);
    parts.push(opt, rdata);
  }
  return Buffer.concat(parts);
}

/** chronos + a compression pointer to "marathon.mesos" placed after the question (dns2 follows it). */
export function questionWithPointer(): Buffer {
  const header = question({ name: '', type: 1 }).subarray(0, 12);
  const head = Buffer.concat([Buffer.from([7]), Buffer.from('chronos', 'latin1')]);
  const target = 12 + head.length + 2 + 4;
  return Buffer.concat([header, head, Buffer.from([0xc0, target]), Buffer.from([0, 1, 0, 1]), wireName(['marathon', 'mesos'])]);
}
