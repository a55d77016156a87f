/** A run row for tests that write history directly: the fields a test names, the rest empty. */
import type { RunRow } from '../../src/model.js';

export const runRow = (
  over: Partial<RunRow> & Pick<RunRow, 'id' | 'jobId' | 'jobType' | 'createdAt' | 'status'>,
): RunRow => ({
  queueId: null,
  trigger: 'schedule',
  scheduledFor: null,
  startedAt: null,
  finishedAt: null,
  attempt: 1,
  summary: null,
  findings: [],
  metrics: null,
  error: null,
  params: null,
  requestedBy: null,
  reason: null,
  worker: null,
  ...over,
});
