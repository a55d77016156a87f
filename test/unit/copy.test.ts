import { CopyBuffer, isoTime } from '../../src/store/copy.js';

describe('isoTime', () => {
  it('prints what Date#toISOString prints, across seconds, milliseconds and centuries', () => {
    const samples = [
      0,
      -1,
      1,
      9,
      10,
      99,
      100,
      999,
      1000,
      Date.UTC(2026, 10, 26, 23, 59, 59, 999),
      Date.UTC(1969, 11, 31, 23, 59, 59, 7),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      Date.UTC(-1, 5, 1, 0, 0, 0, 50),
    ];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 4e12) - 1e12);
    // Neighbours in time share the cached second: go through them in order and shuffled.
    const sorted = [...samples].sort((a, b) => a - b);
    for (const ms of [...samples, ...sorted, ...sorted.map((m) => m + 1)])
      expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('throws for an invalid date, as toISOString does', () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('CopyBuffer', () => {
  it('gives back every line in order as UTF-8, long ones and multi-byte ones included', () => {
    const buffer = new CopyBuffer();
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `${i}\t${i % 7 === 0 ? 'é🚀'.repeat(i) : 'x'.repeat(i % 300)}\n`,
    );
    lines.push(`${'ü'.repeat(40_000)}\n`); // larger than a chunk
    for (const line of lines) buffer.add(line);
    const earlier = new CopyBuffer();
    earlier.add('first\n');
    buffer.prepend(earlier);
    expect(buffer.lines).toBe(lines.length + 1);
    expect(Buffer.concat(buffer.data()).toString('utf8')).toBe(`first\n${lines.join('')}`);
  });
});
