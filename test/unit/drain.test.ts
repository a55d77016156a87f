/** Drain template mining and masking on a recorded sample of application and sshd logs. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Drain, maskLine } from '../../src/analysis/drain.js';
import { compileMasks } from '../../src/analysis/log-masks.js';
import {
  changeFindings,
  keepTemplates,
  logWindow,
  MAX_KEPT_TEMPLATES,
  readKept,
} from '../../src/analysis/log-templates.js';

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

describe('Drain across runs', () => {
  it('restored templates keep their ids and absorb matching lines; new ones get the next id', () => {
    const first = new Drain();
    for (const l of ['ERROR db timeout after 5 ms', 'ERROR db timeout after 7 ms', 'WARN cache miss for key a'])
      first.add(l);
    const kept = first.templates.map(({ id, tokens, example, route }) => ({ id, tokens, example, route }));
    const next = new Drain();
    for (const t of kept) next.restore(t);
    expect(next.top(10)).toEqual([]); // restored, not yet seen this run
    next.add('ERROR db timeout after 9 ms');
    next.add('FATAL disk full on /var');
    expect(next.top(10).map((t) => [t.id, t.count, Drain.text(t)])).toEqual([
      [1, 1, 'ERROR db timeout after <NUM> ms'],
      [3, 1, 'FATAL disk full on /var'],
    ]);
  });

  it('a template routed past maxChildren (to <*>) is put back on that route and found again', () => {
    const first = new Drain({ maxChildren: 1 });
    first.add('alpha x y');
    first.add('beta x y');
    expect(first.templates.map((t) => t.route)).toEqual([
      ['3', 'alpha', 'x'],
      ['3', '<*>', 'x'],
    ]);
    const next = new Drain({ maxChildren: 1 });
    for (const t of first.templates) next.restore(t);
    expect(next.add('beta x y')!.id).toBe(2);
    expect(next.add('gamma x y')!.id).toBe(2); // the overflow route, as it was when the template was made
  });

  it('configured masks run over the whole line, linear-time, before the built-in ones', () => {
    const drain = new Drain({ masks: compileMasks([{ pattern: 'session=[A-Za-z]+', name: 'SESSION' }]) });
    drain.add('ERROR login failed session=abcXYZ for 10.0.0.1');
    drain.add('ERROR login failed session=qqq for 10.0.0.2');
    expect(drain.templates.map(Drain.text)).toEqual(['ERROR login failed <SESSION> for <IP>']);
  });
});

describe('kept templates', () => {
  const template = (id: number, count: number, size = 10) => ({
    id,
    tokens: ['ERROR', 'x'.repeat(size), String(id)],
    count,
    example: `ERROR ${id}`,
    route: ['3', 'ERROR', 'x'],
  });

  it('keeps at most 1,000, the most recently seen then the most frequent, under 1 MiB', () => {
    const kept = keepTemplates(
      Array.from({ length: 3000 }, (_, i) => template(i + 1, i % 7)),
      null,
      { at: '2026-11-26T10:00:00.000Z', readFrom: '2026-11-26T10:00:00.000Z', settings: 's', windowSeconds: 3600 },
    );
    expect(kept.templates).toHaveLength(MAX_KEPT_TEMPLATES);
    expect(kept.templates.every((t) => t.last > 0)).toBe(true); // none seen-never before one seen now
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThan(2 ** 20);
  });

  it('stays under 1 MiB whatever the templates hold', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.nat(20_000)), { maxLength: 1500 }), (rows) => {
        const kept = keepTemplates(
          rows.map(([count, size], i) => template(i + 1, count, size)),
          null,
          { at: '2026-11-26T10:00:00.000Z', readFrom: '2026-11-26T10:00:00.000Z', settings: 's', windowSeconds: null },
        );
        return kept.templates.length <= MAX_KEPT_TEMPLATES && Buffer.byteLength(JSON.stringify(kept)) < 2 ** 20;
      }),
      { numRuns: 30 },
    );
  });

  it('what was kept is read back untrusted: anything else is a baseline, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = readKept(value, 's');
        return r.kept === null && typeof r.baseline === 'string';
      }),
    );
    const good = keepTemplates([template(1, 1)], null, {
      at: '2026-11-26T10:00:00.000Z',
      readFrom: '2026-11-26T10:00:00.000Z',
      settings: 's',
      windowSeconds: 60,
    });
    expect(readKept(good, 's').kept).toEqual(good);
    expect(readKept(good, 'other')).toEqual({
      kept: null,
      baseline: 'depth or masks changed since the previous run: a new baseline',
    });
  });

  it('the window: since if given, else since the previous run up to the cap, else the tail', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    const base = { now, tail: 1000, capMs: 86_400_000 };
    expect(logWindow({ ...base, sinceMs: 3_600_000, previousAt: null })).toEqual({
      sinceSeconds: 3600,
      seconds: 3600,
      text: 'in the last 60 min',
    });
    expect(logWindow({ ...base, previousAt: new Date('2026-11-26T08:00:00Z') })).toEqual({
      sinceSeconds: 7200,
      seconds: 7200,
      text: 'since the previous run 2 h ago',
    });
    expect(logWindow({ ...base, previousAt: new Date('2026-11-23T10:00:00Z') })).toEqual({
      sinceSeconds: 86_400,
      seconds: 86_400,
      text: 'in the last 24 h (the most read at once; the previous run was 3 d ago)',
    });
    expect(logWindow({ ...base, previousAt: null })).toEqual({
      seconds: null,
      text: 'in the last 1000 lines of each container',
    });
  });

  it('a spike is judged against the previous window scaled to this one', () => {
    const kept = keepTemplates([template(1, 10)], null, {
      at: '2026-11-26T09:00:00.000Z',
      readFrom: '2026-11-26T09:00:00.000Z',
      settings: 's',
      windowSeconds: 600,
    });
    const seen = [{ id: 1, template: 'ERROR x 1', count: 40, fromPrevious: 0, example: 'ERROR 1' }];
    const rules = { spikeFactor: 3, minSpike: 10 };
    // 40 in an hour after 10 in ten minutes is a slower rate, not a spike.
    const hour = { sinceSeconds: 3600, seconds: 3600, text: 'since the previous run 60 min ago' };
    expect(changeFindings(seen, kept, hour, rules, 'service/x')).toEqual([]);
    const tenMinutes = { sinceSeconds: 600, seconds: 600, text: 'since the previous run 10 min ago' };
    expect(changeFindings(seen, kept, tenMinutes, rules, 'service/x').map((f) => f.message)).toEqual([
      '40× since the previous run 10 min ago (was 10× in the previous run): ERROR x 1',
    ]);
  });

  it('an error as frequent as it was in the past week is no spike, though the previous run saw none', () => {
    const hour = { sinceSeconds: 3600, seconds: 3600, text: 'since the previous run 60 min ago' };
    const rules = { spikeFactor: 3, minSpike: 10 };
    const keep = (count: number, at: string, kept: ReturnType<typeof keepTemplates> | null) =>
      keepTemplates([template(1, count)], kept, { at, readFrom: at, settings: 's', windowSeconds: 3600 });
    // The nightly batch logs 50 at 02:00–03:00; hourly runs see nothing the rest of the day.
    let kept = keep(50, '2026-11-20T03:00:00.000Z', null);
    for (let h = 4; h < 24; h++) kept = keep(0, `2026-11-20T${String(h).padStart(2, '0')}:00:00.000Z`, kept);
    expect(kept.templates[0]).toMatchObject({ last: 0, peak: { perHour: 50, at: '2026-11-20T03:00:00.000Z' } });
    const night = (count: number) => [{ id: 1, template: 'ERROR x 1', count, fromPrevious: 0, example: 'ERROR 1' }];
    expect(changeFindings(night(60), kept, hour, rules, 'service/x')).toEqual([]);
    expect(changeFindings(night(200), kept, hour, rules, 'service/x').map((f) => f.message)).toEqual([
      '200× since the previous run 60 min ago (was 0× in the previous run; up to 50× for a window this long in the past week): ERROR x 1',
    ]);
    // A week and more later the peak is forgotten: the next run's window alone is the usual.
    const later = keep(0, '2026-11-28T04:00:00.000Z', kept);
    expect(later.templates[0]!.peak).toBeUndefined();
    expect(changeFindings(night(60), later, hour, rules, 'service/x')).toHaveLength(1);
  });
});
