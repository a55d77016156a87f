/** What the PDF worker posts back: bytes it can transfer on every supported Node, whatever their size. */
import { ownBytes } from '../../src/reports/pdf/thread.js';

describe('ownBytes', () => {
  it('copies a PDF out of Node’s buffer pool, which cannot be transferred (on Node 24, any under 32 KiB)', () => {
    const pooled = Buffer.from('%PDF-1.3 a small report');
    expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength); // a slice of the pool
    expect(() => structuredClone(pooled, { transfer: [pooled.buffer as ArrayBuffer] })).toThrow(/transfer/i);
    const own = ownBytes(pooled);
    expect(Buffer.from(own).toString()).toBe('%PDF-1.3 a small report');
    const moved = structuredClone(own, { transfer: [own.buffer as ArrayBuffer] });
    expect(Buffer.from(moved).toString()).toBe('%PDF-1.3 a small report');
    expect(own.byteLength).toBe(0); // transferred, not copied
  });

  it('copies a slice of a larger buffer, and passes a buffer that is all its own as it is', () => {
    const big = Buffer.alloc(100_000, 1);
    expect(ownBytes(big)).toBe(big);
    const slice = big.subarray(10, 20);
    expect(ownBytes(slice)).not.toBe(slice);
    expect(ownBytes(slice).buffer.byteLength).toBe(10);
  });
});
