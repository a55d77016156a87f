/**
 * audit-review through the real @kubernetes/client-node against the fake API server
 * (test/support/fake-kube.ts): the `kubernetes.io/bootstrapping: rbac-defaults` label is
 * anyone's to set, so a labelled binding granting cluster-admin to system:authenticated, or
 * a labelled custom role with wildcards, fails like any other; the bindings kube-apiserver
 * really bootstraps (name, role and subjects) stay quiet.
 */
import { parseConfig } from '../../src/configure.js';
import { auditReview, auditReviewParams } from '../../src/jobs/audit-review.js';
import type { Finding } from '../../src/model.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';

type Obj = Record<string, any>;
const labels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const group = (name: string) => ({ kind: 'Group', name });
const clusterBinding = (name: string, role: string, subjects: Obj[]): Obj => ({
  kind: 'ClusterRoleBinding',
  metadata: { name, labels },
  roleRef: { kind: 'ClusterRole', name: role },
  subjects,
});

/** What a fresh cluster bootstraps (excerpt): cluster-admin and the bindings of broad groups. */
const bootstrapped = (): Obj[] => [
  {
    kind: 'ClusterRole',
    metadata: { name: 'cluster-admin', labels },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  },
  clusterBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
  clusterBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
  clusterBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
  clusterBinding('system:public-info-viewer', 'system:public-info-viewer', [
    group('system:authenticated'),
    group('system:unauthenticated'),
  ]),
];

/** The failed access controls of audit-review on a fake cluster holding `objects`. */
async function accessFailures(objects: Obj[]): Promise<Record<string, Finding>> {
  const kube = await new FakeKube().start();
  try {
    for (const o of objects) kube.add(o);
    const config = parseConfig({
      kubernetes: { kubeconfig: kube.kubeconfig(tempDir('audit-bootstrap-')), namespaces: ['shop'] },
    });
    const outcome = await auditReview.run(jobContext(config), auditReviewParams.parse({ sections: ['access'] }));
    return Object.fromEntries(
      outcome.findings.filter((f) => f.severity !== 'info' && f.check.startsWith('cis-5.1')).map((f) => [f.check, f]),
    );
  } finally {
    await kube.stop();
  }
}

describe('audit-review: only the bootstrap bindings and roles are Kubernetes’ own', () => {
  it('the bootstrapped RBAC passes the RBAC controls', async () => {
    expect(await accessFailures(bootstrapped())).toEqual({});
  });

  it('a labelled ClusterRoleBinding granting cluster-admin to system:authenticated fails 5.1.1', async () => {
    const failed = await accessFailures([
      ...bootstrapped(),
      clusterBinding('oidc-admins', 'cluster-admin', [group('system:authenticated')]),
    ]);
    expect(failed['cis-5.1.1-cluster-admin']).toMatchObject({
      severity: 'critical',
      resource: 'clusterrolebinding/oidc-admins',
      message: expect.stringContaining('cluster-admin to Group system:authenticated'),
    });
    expect(failed['cis-5.1.2-secrets']!.message).toContain('held by Group system:authenticated');
  });

  it('a labelled custom ClusterRole with wildcards fails 5.1.3', async () => {
    const failed = await accessFailures([
      ...bootstrapped(),
      {
        kind: 'ClusterRole',
        metadata: { name: 'everything', labels },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
    ]);
    expect(failed['cis-5.1.3-wildcards']).toMatchObject({ resource: 'clusterrole/everything' });
  });
});
