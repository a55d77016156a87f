/**
 * The RBAC controls' blind spots of issue 17, on recorded objects: built-in roles held by
 * people, cluster-admin through a RoleBinding, resourceNames read from the rule itself,
 * system:masters, `*` verbs, and kube-bench 5.1.9–5.1.13. Each test fails on the code
 * before the fix: built-in roles were skipped, 5.1.1 read ClusterRoleBindings only, the
 * resourceNames exemption searched the finding's text, system:masters was "system".
 */
import fc from 'fast-check';
import { accessControls, type ClusterState } from '../../src/analysis/audit.js';
import { allows } from '../../src/analysis/audit/rbac.js';
import { compliant, evidenceOf, failed, withChanges } from '../support/audit-cluster.js';

const BOOTSTRAPPED = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

/** The built-in `edit` ClusterRole's rules as a 1.30 API server serves them (aggregated; excerpt). */
const edit = (): ClusterState['clusterRoles'][number] => ({
  kind: 'ClusterRole',
  metadata: { name: 'edit', labels: { ...BOOTSTRAPPED, 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } },
  rules: [
    {
      apiGroups: [''],
      resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
      verbs: ['get', 'list', 'watch'],
    },
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
    {
      apiGroups: [''],
      resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'],
      verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'],
    },
    {
      apiGroups: [''],
      resources: ['configmaps', 'secrets', 'serviceaccounts', 'services'],
      verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'],
    },
  ],
});

const access = (change: (s: ClusterState) => void) => failed(accessControls(withChanges(change)));

describe('built-in roles count when a person or an app holds them', () => {
  it('a user bound to the built-in edit role fails 5.1.2, 5.1.4, exec and 5.1.8', () => {
    const result = access((s) => {
      s.clusterRoles.push(edit());
      s.roleBindings.push({
        kind: 'RoleBinding',
        metadata: { name: 'dev-edit', namespace: 'shop' },
        roleRef: { kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'User', name: 'dev@example.com' }],
      });
    });
    expect(Object.keys(result)).toEqual([
      'cis-5.1.2-secrets',
      'cis-5.1.4-create-pods',
      'cis-5.1-exec-attach',
      'cis-5.1.8-escalation',
    ]);
    expect(evidenceOf(result['cis-5.1.2-secrets'])).toEqual([
      {
        resource: 'clusterrole/edit',
        detail:
          'get,list,watch on pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy, held by User dev@example.com in namespace shop',
      },
    ]);
    expect(evidenceOf(result['cis-5.1.8-escalation'])).toEqual([
      {
        resource: 'clusterrole/edit',
        detail: 'impersonate on serviceaccounts, held by User dev@example.com in namespace shop',
      },
    ]);
  });

  it("Kubernetes' own bindings to its own roles stay quiet, even to broad groups", () => {
    const result = access((s) => {
      s.clusterRoles.push(edit(), {
        kind: 'ClusterRole',
        metadata: { name: 'system:basic-user', labels: BOOTSTRAPPED },
        rules: [{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'], verbs: ['create'] }],
      });
      s.clusterRoleBindings.push(
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'system:basic-user', labels: BOOTSTRAPPED },
          roleRef: { kind: 'ClusterRole', name: 'system:basic-user' },
          subjects: [{ kind: 'Group', name: 'system:authenticated' }],
        },
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'system:controller:namespace-controller' },
          roleRef: { kind: 'ClusterRole', name: 'edit' },
          subjects: [{ kind: 'ServiceAccount', name: 'namespace-controller', namespace: 'kube-system' }],
        },
      );
    });
    expect(result).toEqual({});
  });

  it('a broad group is not a system subject: edit granted to system:authenticated fails', () => {
    const result = access((s) => {
      s.clusterRoles.push(edit());
      s.clusterRoleBindings.push({
        kind: 'ClusterRoleBinding',
        metadata: { name: 'everyone-edits' },
        roleRef: { kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'Group', name: 'system:authenticated' }],
      });
    });
    expect(result['cis-5.1.4-create-pods']!.message).toContain('held by Group system:authenticated');
  });
});

describe('cluster-admin, system:masters and escalation', () => {
  it('5.1.1 sees cluster-admin granted in a namespace by a RoleBinding', () => {
    const result = access((s) =>
      s.roleBindings.push({
        kind: 'RoleBinding',
        metadata: { name: 'team-admin', namespace: 'shop' },
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'Group', name: 'shop-team' }],
      }),
    );
    expect(result['cis-5.1.1-cluster-admin']).toMatchObject({
      severity: 'critical',
      resource: 'rolebinding/shop/team-admin',
      evidence: [
        { resource: 'rolebinding/shop/team-admin', detail: 'cluster-admin in namespace shop to Group shop-team' },
      ],
    });
  });

  it('5.1.7 flags any binding to system:masters but the bootstrapped one', () => {
    const result = access((s) =>
      s.clusterRoleBindings.push({
        kind: 'ClusterRoleBinding',
        metadata: { name: 'masters-view' },
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'Group', name: 'system:masters' }],
      }),
    );
    expect(Object.keys(result)).toEqual(['cis-5.1.7-system-masters']);
    expect(result['cis-5.1.7-system-masters']!.message).toBe(
      'system:masters not used: 1 violation — clusterrolebinding/masters-view (view to Group system:masters)',
    );
    // The compliant cluster has the bootstrapped cluster-admin → system:masters binding, and passes.
    expect(failed(accessControls(compliant()))).toEqual({});
  });

  it('5.1.8: a * verb on roles or users includes bind, escalate and impersonate; on configmaps it does not', () => {
    const held = (verbs: string[], resources: string[], apiGroups?: string[]) =>
      access((s) => {
        s.clusterRoles.push({
          metadata: { name: 'r' },
          rules: [{ verbs, resources, ...(apiGroups && { apiGroups }) }],
        });
        s.clusterRoleBindings.push({
          metadata: { name: 'b' },
          roleRef: { kind: 'ClusterRole', name: 'r' },
          subjects: [{ kind: 'User', name: 'carol' }],
        });
      })['cis-5.1.8-escalation'];
    expect(held(['*'], ['clusterroles'], ['rbac.authorization.k8s.io'])).toBeDefined();
    expect(held(['*'], ['users'])).toBeDefined();
    expect(held(['escalate'], ['roles'])).toBeDefined();
    expect(held(['*'], ['configmaps'])).toBeUndefined();
    expect(held(['bind'], ['roles'], ['apps'])).toBeUndefined(); // another API group's "roles"
  });
});

describe('5.1.2 and resourceNames', () => {
  const reader = (rule: { verbs: string[]; resources: string[]; resourceNames?: string[] }) =>
    withChanges((s) => {
      s.roles.push({ metadata: { name: 'db-creds-reader', namespace: 'shop' }, rules: [rule] });
      s.roleBindings.push({
        metadata: { name: 'checkout-reads', namespace: 'shop' },
        roleRef: { kind: 'Role', name: 'db-creds-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'checkout', namespace: 'shop' }],
      });
    });

  it('a rule limited to named secrets passes, and the finding says who reads which', () => {
    const [secrets] = accessControls(
      reader({ verbs: ['get'], resources: ['secrets'], resourceNames: ['db-creds'] }),
    ).filter((f) => f.check === 'cis-5.1.2-secrets');
    expect(secrets).toEqual({
      severity: 'info',
      check: 'cis-5.1.2-secrets',
      resource: 'cluster',
      message:
        'secrets readable only by system subjects: passed — limited to named secrets: role/shop/db-creds-reader (get on secrets named db-creds, held by ServiceAccount shop/checkout in namespace shop)',
      evidence: [
        {
          resource: 'role/shop/db-creds-reader',
          detail: 'get on secrets named db-creds, held by ServiceAccount shop/checkout in namespace shop',
        },
      ],
    });
  });

  it('an empty resourceNames list names nothing: it grants every secret', () => {
    const result = failed(accessControls(reader({ verbs: ['list'], resources: ['secrets'], resourceNames: [] })));
    expect(result['cis-5.1.2-secrets']).toMatchObject({ severity: 'warning', resource: 'role/shop/db-creds-reader' });
  });
});

describe('kube-bench 5.1.9–5.1.13', () => {
  const grants = [
    ['cis-5.1.9-create-pv', { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['create'] }],
    ['cis-5.1.10-node-proxy', { apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }],
    ['cis-5.1.10-node-proxy', { apiGroups: [''], resources: ['*/proxy'], verbs: ['create'] }],
    [
      'cis-5.1.11-csr-approval',
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
    ],
    [
      'cis-5.1.12-webhooks',
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['patch'] },
    ],
    ['cis-5.1.13-sa-token', { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] }],
  ] as const;

  it.each(grants)('%s fails when someone holds %j', (id, rule) => {
    const result = access((s) => {
      s.clusterRoles.push({ metadata: { name: 'ops-tooling' }, rules: [structuredClone(rule) as never] });
      s.clusterRoleBindings.push({
        metadata: { name: 'ops-tooling' },
        roleRef: { kind: 'ClusterRole', name: 'ops-tooling' },
        subjects: [{ kind: 'Group', name: 'ops' }],
      });
    });
    expect(Object.keys(result)).toEqual([id]);
    expect(result[id]).toMatchObject({ resource: 'clusterrole/ops-tooling', remedy: expect.any(String) });
  });

  it('reads only get on webhooks, list on PVs and nodes (not nodes/proxy) pass', () => {
    const result = access((s) => {
      s.clusterRoles.push({
        metadata: { name: 'viewer' },
        rules: [
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['validatingwebhookconfigurations'],
            verbs: ['get', 'list'],
          },
          { apiGroups: [''], resources: ['persistentvolumes', 'nodes'], verbs: ['get', 'list'] },
          { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['get', 'create'] },
        ],
      });
      s.clusterRoleBindings.push({
        metadata: { name: 'viewer' },
        roleRef: { kind: 'ClusterRole', name: 'viewer' },
        subjects: [{ kind: 'Group', name: 'ops' }],
      });
    });
    expect(result).toEqual({});
  });
});

describe('rule matching (rbac/v1 semantics)', () => {
  const word = fc.stringMatching(/^[a-z]{1,8}$/);
  it('a full wildcard allows anything; a rule with no verbs or no resources allows nothing', () => {
    fc.assert(
      fc.property(word, word, word, (verb, group, resource) => {
        const target = { group, resource };
        expect(allows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, [verb], target)).toBe(true);
        expect(allows({ apiGroups: ['*'], resources: ['*'], verbs: [] }, [verb], target)).toBe(false);
        expect(allows({ apiGroups: ['*'], resources: [], verbs: ['*'] }, [verb], target)).toBe(false);
      }),
    );
  });

  it('resource/* is not a wildcard in Kubernetes RBAC; */subresource is', () => {
    expect(allows({ resources: ['nodes/*'], verbs: ['get'] }, ['get'], { group: '', resource: 'nodes/proxy' })).toBe(
      false,
    );
    expect(allows({ resources: ['*/proxy'], verbs: ['get'] }, ['get'], { group: '', resource: 'nodes/proxy' })).toBe(
      true,
    );
    expect(allows({ resources: ['*/proxy'], verbs: ['get'] }, ['get'], { group: '', resource: 'nodes' })).toBe(false);
  });
});
