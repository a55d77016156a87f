/**
 * resource-usage's remedy for a container without limits recommends the configured policy
 * (the job's `limits`), not a hard-coded 2 CPU / 4Gi; unconfigured, the runbook's.
 */
import { analyzeResources } from '../../src/analysis/resources.js';
import { resourceUsageParams } from '../../src/jobs/resource-usage.js';

const pods = [
  {
    metadata: { name: 'worker-1', namespace: 'shop' },
    spec: { containers: [{ name: 'worker', resources: { requests: { cpu: '250m' } } }] },
    status: { phase: 'Running' },
  },
];
const metrics = [
  { metadata: { name: 'worker-1' }, containers: [{ name: 'worker', usage: { cpu: '100m', memory: '64Mi' } }] },
];
const remedyOf = (params: unknown) =>
  analyzeResources('shop', pods, metrics, resourceUsageParams.parse(params)).findings.find(
    (f) => f.check === 'resources.no-limits',
  )?.remedy;

describe('resources.no-limits remedy', () => {
  it("names the configured limits, and the runbook's when none are configured", () => {
    expect(remedyOf({ limits: { cpu: '1', memory: '512Mi' } })).toBe(
      'Set resources.limits.cpu and memory on worker (the policy: limits cpu 1 / memory 512Mi) so one pod cannot starve its node.',
    );
    expect(remedyOf({})).toContain('(the policy: limits cpu 2 / memory 4Gi)');
  });

  it('refuses a limit that is not a Kubernetes quantity, naming the field', () => {
    const parsed = resourceUsageParams.safeParse({ limits: { cpu: 'two', memory: '1Gi' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({
      path: ['limits', 'cpu'],
      message: 'must be a Kubernetes quantity such as 500m, 2, 1Gi',
    });
  });
});
