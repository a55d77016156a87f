/** Plain-text tables and run lines for the terminal. */
import type { RunRow } from '../model.js';

export function table(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const time = (d: Date | null | undefined) => (d ? d.toISOString().replace('.000Z', 'Z') : '-');

export function duration(run: RunRow): string {
  if (!run.startedAt || !run.finishedAt) return '-';
  const ms = run.finishedAt.getTime() - run.startedAt.getTime();
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** Nagios plugin convention: 0 ok, 1 warning, 2 critical, 3 unknown (failed, timeout, ...). */
export function exitCodeOf(status: RunRow['status']): number {
  switch (status) {
    case 'ok':
      return 0;
    case 'warning':
      return 1;
    case 'critical':
      return 2;
    default:
      return 3;
  }
}

/** One run for a person: status, summary and findings. */
export function format(run: RunRow): string {
  const lines = [
    `${run.jobId} ${run.status.toUpperCase()} (${run.trigger}, attempt ${run.attempt}, ${duration(run)}): ${run.summary ?? ''}`,
  ];
  for (const f of run.findings)
    lines.push(
      `  [${f.severity}] ${f.check} ${f.resource}: ${f.message}${f.remedy ? `\n      remedy: ${f.remedy}` : ''}`,
    );
  if (run.error && run.error !== run.summary) lines.push(`  error: ${run.error}`);
  return lines.join('\n');
}

/** A progress line: `[######------] 50% note`. */
/** Draws progress on stderr: redrawn in place on a terminal, a line each otherwise. */
export function drawProgress(fraction: number, note?: string): void {
  process.stderr.write(
    process.stderr.isTTY ? `\r${progressBar(fraction, note)}\x1b[K` : `${progressBar(fraction, note)}\n`,
  );
}

export function progressBar(fraction: number, note?: string, width = 24): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%${note ? ` ${note}` : ''}`;
}
