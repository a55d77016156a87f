/**
 * Only the bindings and roles kube-apiserver bootstraps are Kubernetes' own: the
 * `kubernetes.io/bootstrapping: rbac-defaults` label is anyone's to set. Before the fix a
 * labelled binding exempted every `system:` subject of it (cluster-admin to
 * system:authenticated passed every control), and a labelled role was exempt from 5.1.3.
 */
import { accessControls, type ClusterState } from '../../src/analysis/audit.js';
import { compliant, evidenceOf, failed, withChanges } from '../support/audit-cluster.js';

const BOOTSTRAPPED = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
type Binding = ClusterState['clusterRoleBindings'][number];
type Subject = NonNullable<Binding['subjects']>[number];

const access = (change: (s: ClusterState) => void) => failed(accessControls(withChanges(change)));
const group = (name: string): Subject => ({ kind: 'Group', name });
const labelled = (name: string, role: string, subjects: Subject[], namespace?: string): Binding => ({
  kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
  metadata: { name, labels: BOOTSTRAPPED, ...(namespace && { namespace }) },
  roleRef: { kind: 'ClusterRole', name: role },
  subjects,
});

describe('a labelled binding is not Kubernetes’ own unless it is a bootstrap binding', () => {
  it('cluster-admin to system:authenticated, labelled, fails 5.1.1 and every control cluster-admin grants', () => {
    const result = access((s) =>
      s.clusterRoleBindings.push(labelled('everyone-admin', 'cluster-admin', [group('system:authenticated')])),
    );
    expect(result['cis-5.1.1-cluster-admin']!.message).toContain('cluster-admin to Group system:authenticated');
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['cis-5.1.2-secrets', 'cis-5.1.4-create-pods', 'cis-5.1.8-escalation']),
    );
  });

  it('a bootstrap binding’s name with another role, or another subject, counts like any binding', () => {
    const result = access((s) => {
      s.clusterRoleBindings.push(
        labelled('system:basic-user', 'cluster-admin', [group('system:authenticated')]),
        labelled('system:public-info-viewer', 'cluster-admin', [group('system:unauthenticated')]),
      );
      s.roleBindings.push(labelled('cluster-admin', 'cluster-admin', [group('system:serviceaccounts')], 'shop'));
      // The real cluster-admin binding with one subject too many: system:masters stays exempt, the extra one does not.
      s.clusterRoleBindings[0]!.subjects!.push(group('system:anonymous'));
    });
    expect(evidenceOf(result['cis-5.1.1-cluster-admin']).map((e) => e.detail)).toEqual([
      'cluster-admin to Group system:anonymous',
      'cluster-admin to Group system:authenticated',
      'cluster-admin to Group system:unauthenticated',
      'cluster-admin in namespace shop to Group system:serviceaccounts',
    ]);
  });

  it('a system: name that is no Kubernetes component counts; the components’ own names do not', () => {
    const user = (name: string): Subject => ({ kind: 'User', name });
    const result = access((s) =>
      s.clusterRoleBindings.push(
        labelled('evil', 'cluster-admin', [user('system:evil'), group('system:cluster-admins')]),
        labelled('components', 'cluster-admin', [
          user('system:kube-controller-manager'),
          user('system:node:worker-1'),
          group('system:nodes'),
          group('system:bootstrappers:kubeadm:default-node-token'),
        ]),
      ),
    );
    expect(evidenceOf(result['cis-5.1.1-cluster-admin']).map((e) => e.detail)).toEqual([
      'cluster-admin to User system:evil, Group system:cluster-admins',
    ]);
  });

  it('5.1.7: system:masters in a labelled binding other than cluster-admin is flagged', () => {
    const result = access((s) =>
      s.clusterRoleBindings.push(labelled('masters-view', 'view', [group('system:masters')])),
    );
    expect(evidenceOf(result['cis-5.1.7-system-masters'])).toEqual([
      { resource: 'clusterrolebinding/masters-view', detail: 'view to Group system:masters' },
    ]);
  });

  it("Kubernetes' own bootstrap bindings, broad groups included, stay quiet", () => {
    const result = access((s) => {
      s.clusterRoles.push({
        metadata: { name: 'system:controller:generic-garbage-collector', labels: BOOTSTRAPPED },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch', 'patch', 'update', 'delete'] }],
      });
      s.clusterRoleBindings.push(
        labelled('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
        labelled('system:discovery', 'system:discovery', [group('system:authenticated')]),
        labelled('system:public-info-viewer', 'system:public-info-viewer', [
          group('system:authenticated'),
          group('system:unauthenticated'),
        ]),
        labelled('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [
          group('system:serviceaccounts'),
        ]),
        labelled('system:controller:generic-garbage-collector', 'system:controller:generic-garbage-collector', [
          { kind: 'ServiceAccount', name: 'generic-garbage-collector', namespace: 'kube-system' },
        ]),
      );
    });
    expect(result).toEqual({});
    expect(failed(accessControls(compliant()))).toEqual({});
  });
});

describe('5.1.3: a built-in role is a bootstrap ClusterRole by name and label, not anything labelled', () => {
  const wildcard = (name: string, labels?: Record<string, string>) =>
    access((s) =>
      s.clusterRoles.push({
        metadata: { name, ...(labels && { labels }) },
        rules: [{ verbs: ['*'], resources: ['*'] }],
      }),
    )['cis-5.1.3-wildcards'];

  it('a labelled custom role, or one merely named system:…, with wildcards fails', () => {
    expect(evidenceOf(wildcard('everything', BOOTSTRAPPED))).toEqual([
      { resource: 'clusterrole/everything', detail: 'verbs * on *' },
    ]);
    expect(wildcard('system:everything', BOOTSTRAPPED)).toBeDefined();
    expect(wildcard('system:controller:evil')).toBeDefined();
    expect(wildcard('cluster-admin')).toBeDefined(); // a bootstrap name without the label
  });

  it('the bootstrap roles with wildcards pass: cluster-admin, the namespace and garbage-collector controllers', () => {
    expect(wildcard('cluster-admin', BOOTSTRAPPED)).toBeUndefined();
    expect(wildcard('system:controller:namespace-controller', BOOTSTRAPPED)).toBeUndefined();
  });
});
