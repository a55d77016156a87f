/**
 * Reports on storage: the PDF under <root>/<kind>/<yyyy>/<mm>/<id>.pdf, indexed in the
 * store with its checksum and size; retention by age and by count per kind.
 */
import { randomBytes } from 'node:crypto';
import { compactUtc, utcDatePath } from '../../clock.js';
import type { Storage } from '../../integrations/storage.js';
import type { Period, ReportKind, ReportSummary } from '../../model.js';
import type { ReportRepository } from '../../store/reports.js';
import type { ReportOrigin, ReportRecord } from '../../store/reports.js';

export type { ReportOrigin, ReportRecord } from '../../store/reports.js';

export function newReportId(kind: ReportKind, at: Date): string {
  return `${kind}-${compactUtc(at)}-${randomBytes(3).toString('hex')}`;
}

/** Writes the PDF, then indexes it; a file whose index row cannot be written is removed again. */
export async function storeReport(
  reports: ReportRepository,
  storage: Storage,
  input: {
    id: string;
    kind: ReportKind;
    title: string;
    period: Period;
    createdAt: Date;
    runId?: string;
    origin: ReportOrigin;
    status: ReportRecord['status'];
    summary: ReportSummary;
    pdf: Buffer;
  },
): Promise<ReportRecord> {
  const at = input.createdAt;
  const key = `${input.kind}/${utcDatePath(at).slice(0, 7)}/${input.id}.pdf`;
  const stored = await storage.put(key, input.pdf);
  const record: ReportRecord = {
    id: input.id,
    kind: input.kind,
    title: input.title,
    periodFrom: input.period.from,
    periodTo: input.period.to,
    timezone: input.period.timeZone,
    createdAt: at,
    runId: input.runId ?? null,
    storageKey: key,
    bytes: stored.bytes,
    sha256: stored.sha256,
    status: input.status,
    summary: input.summary,
  };
  try {
    await reports.insert(record, input.origin);
  } catch (error) {
    await storage.remove(key).catch(() => {});
    throw error;
  }
  return record;
}

/** Deletes reports past retention (see ReportRepository.deleteBeyondRetention) with their files. */
export async function applyRetention(
  reports: ReportRepository,
  storage: Storage,
  policy: { maxAge: number; maxCount: number; maxAdhoc: number },
  now: Date,
): Promise<number> {
  const gone = await reports.deleteBeyondRetention(policy, now);
  for (const report of gone) await storage.remove(report.storageKey).catch(() => {});
  return gone.length;
}
