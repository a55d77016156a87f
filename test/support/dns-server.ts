/**
 * A tiny real DNS server over UDP (node:dgram) for tests of DNS probes: it answers A, MX,
 * TXT and CNAME records from the zone the test sets, NXDOMAIN for names it does not have,
 * a given response code for a name, or nothing at all. Enough of RFC 1035 for a real
 * resolver (node:dns, c-ares) to query it: one question, answers pointing at it.
 */
import { createSocket, type Socket } from 'node:dgram';

export type DnsRecord =
  | { type: 'A'; address: string }
  | { type: 'CNAME'; name: string }
  | { type: 'MX'; priority: number; exchange: string }
  | { type: 'TXT'; text: string };

export interface DnsName {
  records?: DnsRecord[];
  /** Answer with this response code (2 SERVFAIL, 5 REFUSED) and no records. */
  rcode?: number;
  /** Never answer (a server that drops the query). */
  silent?: boolean;
}

const TYPE_CODE = { A: 1, CNAME: 5, MX: 15, TXT: 16 } as const;

/** A name in DNS wire format: length-prefixed labels, then 0. */
function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

function rdata(record: DnsRecord): Buffer {
  switch (record.type) {
    case 'A':
      return Buffer.from(record.address.split('.').map(Number));
    case 'CNAME':
      return encodeName(record.name);
    case 'MX': {
      const preference = Buffer.alloc(2);
      preference.writeUInt16BE(record.priority);
      return Buffer.concat([preference, encodeName(record.exchange)]);
    }
    case 'TXT':
      return Buffer.concat([Buffer.from([record.text.length]), Buffer.from(record.text)]);
  }
}

function answer(record: DnsRecord): Buffer {
  const data = rdata(record);
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // a pointer to the question's name
  fixed.writeUInt16BE(TYPE_CODE[record.type], 2);
  fixed.writeUInt16BE(1, 4); // class IN
  fixed.writeUInt32BE(300, 6); // TTL
  fixed.writeUInt16BE(data.length, 10);
  return Buffer.concat([fixed, data]);
}

export class DnsServer {
  /** Lower-case name without the final dot → what the server says about it. */
  readonly zone = new Map<string, DnsName>();
  /** Every question as `TYPE name` (type as its number). */
  readonly queries: string[] = [];
  port = 0;
  private readonly socket: Socket = createSocket('udp4');

  async start(): Promise<this> {
    this.socket.on('message', (query, peer) => {
      const reply = this.reply(query);
      if (reply) this.socket.send(reply, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
    return this;
  }

  /** The answer to one query, or null to stay silent. */
  private reply(query: Buffer): Buffer | null {
    let at = 12;
    const labels: string[] = [];
    while (at < query.length && query[at]! > 0) {
      labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString());
      at += 1 + query[at]!;
    }
    const qtype = query.readUInt16BE(at + 1);
    const question = query.subarray(12, at + 5);
    const name = labels.join('.').toLowerCase();
    this.queries.push(`${qtype} ${name}`);
    const entry = this.zone.get(name);
    if (entry?.silent) return null;
    const records = (entry?.records ?? []).filter((r) => TYPE_CODE[r.type] === qtype);
    const rcode = entry === undefined ? 3 : (entry.rcode ?? 0);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // the query's id
    header.writeUInt16BE(0x8000 | (query.readUInt16BE(2) & 0x0100) | 0x0400 | 0x0080 | rcode, 2); // QR, RD echoed, AA, RA
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(rcode === 0 ? records.length : 0, 6);
    return Buffer.concat([header, question, ...(rcode === 0 ? records.map(answer) : [])]);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
