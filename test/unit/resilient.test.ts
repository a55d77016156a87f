/** Splitting a refused batch: what PostgreSQL refuses is found, repaired or dropped; everything else goes in once. */
import { PartialWriteError, writeResilient } from '../../src/store/resilient.js';

const dataError = (where?: string) => Object.assign(new Error('invalid input'), { code: '22P02', where });
const connectionError = () => Object.assign(new Error('connection terminated'), { code: '57P01' });

/** A table that refuses rows containing "bad", all or nothing per statement, like COPY. */
function table(options: { copyLines?: boolean; failAfter?: number } = {}) {
  const rows: string[] = [];
  let statements = 0;
  const write = async (part: string[]) => {
    statements++;
    if (options.failAfter !== undefined && statements > options.failAfter) throw connectionError();
    const at = part.findIndex((r) => r.includes('bad'));
    if (at >= 0) throw dataError(options.copyLines ? `COPY runs, line ${at + 1}, column summary: "x"` : undefined);
    rows.push(...part);
  };
  return { rows, write, statements: () => statements };
}

describe('writeResilient', () => {
  const repairs = {
    repair: (row: string, _e: unknown, round: number) => (round === 1 ? row.replace('bad', 'fixed') : null),
    dropped: () => {},
  };

  it('writes a clean batch in one statement', async () => {
    const t = table();
    await writeResilient(['a', 'b', 'c'], t.write, repairs);
    expect(t.rows).toEqual(['a', 'b', 'c']);
    expect(t.statements()).toBe(1);
  });

  it.each([false, true])(
    'finds every refused row by halving (or by the COPY line), repairs it, and writes the rest once (copy lines: %s)',
    async (copyLines) => {
      const t = table({ copyLines });
      const rows = Array.from({ length: 100 }, (_, i) => (i === 7 || i === 63 ? `bad${i}` : `r${i}`));
      await writeResilient(rows, t.write, repairs);
      expect(t.rows.sort()).toEqual(rows.map((r) => r.replace('bad', 'fixed')).sort());
      expect(new Set(t.rows).size).toBe(100); // nothing twice
      if (copyLines) expect(t.statements()).toBeLessThan(10);
    },
  );

  it('drops a row no repair makes acceptable, and says which', async () => {
    const t = table();
    const dropped: string[] = [];
    await writeResilient(['a', 'bad', 'c'], t.write, { repair: () => null, dropped: (row) => dropped.push(row) });
    expect(t.rows.sort()).toEqual(['a', 'c']);
    expect(dropped).toEqual(['bad']);
  });

  it('a connection failure part-way says which rows are left, so a retry writes each once', async () => {
    const t = table({ failAfter: 2 });
    const rows = ['a', 'b', 'bad', 'd'];
    const error = await writeResilient(rows, t.write, repairs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialWriteError);
    const left = (error as PartialWriteError).remaining as string[];
    expect([...t.rows, ...left].sort()).toEqual(rows.sort());
    expect(t.rows.filter((r) => left.includes(r))).toEqual([]);
  });

  it('a connection failure before anything was written is thrown as it is', async () => {
    const t = table({ failAfter: 0 });
    await expect(writeResilient(['a'], t.write, repairs)).rejects.toMatchObject({ code: '57P01' });
  });
});
