/** Drain template mining and masking on a recorded sample of application and sshd logs. */
import { readFileSync } from 'node:fs';
import { Drain, maskLine } from '../../src/analysis/drain.js';

const sample = readFileSync(new URL('../fixtures/app-errors.log', import.meta.url), 'utf8')
  .trim()
  .split('\n');

describe('Drain', () => {
  it('masks UUIDs, IPs, hex ids and numbers, token by token', () => {
    expect(
      maskLine(
        'request 3f6d9c2e-1a4b-4c8d-9e0f-a1b2c3d4e5f6 from 10.0.3.17:6379 took 12 ms (12ms), id 0x7ffe2a, rev 5f0c2a1e77aa4c1e count=42 node-7',
      ),
    ).toBe('request <UUID> from <IP> took <NUM> ms (12ms), id <HEX>, rev <HEX> count=<NUM> node-<NUM>');
  });

  it('finds the templates of a recorded log, with counts, headers and timestamps stripped', () => {
    const drain = new Drain();
    for (const line of sample.filter((l) => /error|failed/i.test(l))) drain.add(line);
    expect(drain.top(10).map((t) => [t.count, Drain.text(t)])).toEqual([
      [4, 'ERROR [checkout] payment authorization failed for order <NUM>: gateway timeout after <NUM> ms'],
      [3, 'ERROR [checkout] could not connect to redis at <IP>: connection refused'],
      [3, 'ERROR [checkout] request <UUID> failed: upstream inventory returned <NUM>'],
      [2, 'Failed password for root from <IP> port <NUM> ssh2'],
      [2, 'Failed password for invalid user <*> from <IP> port <NUM> ssh2'],
    ]);
    expect(drain.top(1)[0]!.example).toBe(sample[0]);
  });

  it('keeps memory to its templates: many lines of few shapes make few templates', () => {
    const drain = new Drain();
    for (let i = 0; i < 50_000; i++) drain.add(`ERROR job ${i} failed after ${i % 97} retries on node-${i % 13}`);
    expect(drain.templates.map(Drain.text)).toEqual(['ERROR job <NUM> failed after <NUM> retries on node-<NUM>']);
  });

  it('stops making templates at maxTemplates and counts the rest', () => {
    const drain = new Drain({ maxTemplates: 2 });
    for (const w of ['alpha beta', 'gamma delta epsilon', 'zeta', 'eta theta iota kappa']) drain.add(w);
    expect([drain.templates.length, drain.overflow]).toEqual([2, 2]);
  });
});
