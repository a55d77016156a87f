/**
 * The audit controls on recorded Kubernetes objects (test/support/audit-cluster.ts): a
 * compliant namespace passes every control, and each violation added to it fails its own
 * control, naming the offender, with a message an operator can act on. The RBAC additions
 * of issue 17 are in audit-access.test.ts, the workload ones in audit-workloads.test.ts.
 */
import {
  accessControls,
  operationsControls,
  reliabilityControls,
  runbookPolicy,
  securityControls,
  type ClusterState,
  type OperationsInput,
} from '../../src/analysis/audit.js';
import {
  all,
  checkout,
  compliant,
  evidenceOf,
  failed,
  probe,
  withChanges,
  type Workload,
} from '../support/audit-cluster.js';

describe('a compliant namespace', () => {
  it('passes all 33 cluster controls, each once, in section order', () => {
    const findings = all(compliant());
    expect(findings.map((f) => f.check)).toEqual([
      'cis-5.1.1-cluster-admin',
      'cis-5.1.3-wildcards',
      'cis-5.1.2-secrets',
      'cis-5.1.4-create-pods',
      'cis-5.1-exec-attach',
      'cis-5.1.7-system-masters',
      'cis-5.1.8-escalation',
      'cis-5.1.5-default-sa',
      'cis-5.1.6-token-mount',
      'cis-5.1.9-create-pv',
      'cis-5.1.10-node-proxy',
      'cis-5.1.11-csr-approval',
      'cis-5.1.12-webhooks',
      'cis-5.1.13-sa-token',
      'polaris-run-as-non-root',
      'polaris-privileged',
      'polaris-privilege-escalation',
      'polaris-host-namespaces',
      'polaris-host-path',
      'polaris-host-port',
      'polaris-capabilities',
      'polaris-read-only-root',
      'polaris-seccomp',
      'polaris-image-tag',
      'polaris-pull-policy',
      'polaris-network-policy',
      'configmap-sensitive-values',
      'polaris-sensitive-env',
      'resources-policy',
      'probes',
      'hpa-min-replicas',
      'pdb',
      'replicas',
    ]);
    expect(failed(findings)).toEqual({});
    expect(findings[0]).toEqual({
      severity: 'info',
      check: 'cis-5.1.1-cluster-admin',
      resource: 'cluster',
      message: 'cluster-admin bound only to system subjects: passed',
      evidence: [],
    });
  });
});

describe('access control (CIS 5.1)', () => {
  it('cluster-admin bound to an app account or to system:masters is critical; kube-system accounts are not', () => {
    const state = withChanges((s) =>
      s.clusterRoleBindings.push({
        kind: 'ClusterRoleBinding',
        metadata: { name: 'ci-admin' },
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [
          { kind: 'ServiceAccount', name: 'deployer', namespace: 'shop' },
          { kind: 'Group', name: 'system:masters' },
        ],
      }),
    );
    expect(failed(accessControls(state))['cis-5.1.1-cluster-admin']).toEqual({
      severity: 'critical',
      check: 'cis-5.1.1-cluster-admin',
      resource: 'clusterrolebinding/ci-admin',
      message:
        'cluster-admin bound only to system subjects: 1 violation — clusterrolebinding/ci-admin (cluster-admin to ServiceAccount shop/deployer, Group system:masters)',
      evidence: [
        {
          resource: 'clusterrolebinding/ci-admin',
          detail: 'cluster-admin to ServiceAccount shop/deployer, Group system:masters',
        },
      ],
      remedy: expect.stringContaining('narrower ClusterRole'),
    });
  });

  it('reading secrets counts only when someone holds the role', () => {
    const reader = { verbs: ['get', 'list'], resources: ['secrets'] };
    const unbound = withChanges((s) =>
      s.roles.push({ metadata: { name: 'secret-reader', namespace: 'shop' }, rules: [reader] }),
    );
    expect(failed(accessControls(unbound))['cis-5.1.2-secrets']).toBeUndefined();

    const bound = withChanges((s) => {
      s.roles.push({ metadata: { name: 'secret-reader', namespace: 'shop' }, rules: [reader] });
      s.roleBindings.push({
        metadata: { name: 'alice-reads', namespace: 'shop' },
        roleRef: { kind: 'Role', name: 'secret-reader' },
        subjects: [{ kind: 'User', name: 'alice' }],
      });
    });
    const secrets = failed(accessControls(bound))['cis-5.1.2-secrets'];
    expect(secrets).toMatchObject({ severity: 'warning', resource: 'role/shop/secret-reader' });
    expect(evidenceOf(secrets)).toEqual([
      { resource: 'role/shop/secret-reader', detail: 'get,list on secrets, held by User alice in namespace shop' },
    ]);
  });

  it('a Role of the same name in another namespace is not the one bound', () => {
    const state = withChanges((s) => {
      s.roles.push({
        metadata: { name: 'secret-reader', namespace: 'billing' },
        rules: [{ verbs: ['get'], resources: ['secrets'] }],
      });
      s.roleBindings.push({
        metadata: { name: 'alice-reads', namespace: 'shop' },
        roleRef: { kind: 'Role', name: 'secret-reader' },
        subjects: [{ kind: 'User', name: 'alice' }],
      });
    });
    expect(failed(accessControls(state))['cis-5.1.2-secrets']).toBeUndefined();
  });

  it('a wildcard role fails 5.1.3 even unbound, and once bound grants everything it matches', () => {
    const everything = {
      kind: 'ClusterRole',
      metadata: { name: 'everything' },
      rules: [{ verbs: ['*'], resources: ['*'] }],
    };
    const unbound = failed(accessControls(withChanges((s) => s.clusterRoles.push(everything))));
    expect(Object.keys(unbound)).toEqual(['cis-5.1.3-wildcards']);
    expect(evidenceOf(unbound['cis-5.1.3-wildcards'])).toEqual([
      { resource: 'clusterrole/everything', detail: 'verbs * on *' },
    ]);

    const bound = failed(
      accessControls(
        withChanges((s) => {
          s.clusterRoles.push(everything);
          s.clusterRoleBindings.push({
            metadata: { name: 'ops' },
            roleRef: { kind: 'ClusterRole', name: 'everything' },
            subjects: [{ kind: 'Group', name: 'ops' }],
          });
        }),
      ),
    );
    expect(Object.keys(bound)).toEqual(
      expect.arrayContaining([
        'cis-5.1.3-wildcards',
        'cis-5.1.2-secrets',
        'cis-5.1.4-create-pods',
        'cis-5.1-exec-attach',
      ]),
    );
    expect(evidenceOf(bound['cis-5.1.4-create-pods'])).toEqual([
      { resource: 'clusterrole/everything', detail: '* on *, held by Group ops' },
    ]);
  });

  it('a ClusterRole granted in a namespace by a RoleBinding counts for exec, and so does a system role bound to a person', () => {
    const state = withChanges((s) => {
      s.clusterRoles.push({ metadata: { name: 'pod-exec' }, rules: [{ verbs: ['create'], resources: ['pods/exec'] }] });
      s.roleBindings.push({
        metadata: { name: 'oncall-exec', namespace: 'shop' },
        roleRef: { kind: 'ClusterRole', name: 'pod-exec' },
        subjects: [{ kind: 'Group', name: 'oncall' }],
      });
      // Kubernetes' own controller role bound to a person: bob may now create pods.
      s.clusterRoleBindings.push({
        metadata: { name: 'odd' },
        roleRef: { kind: 'ClusterRole', name: 'system:controller:replicaset-controller' },
        subjects: [{ kind: 'User', name: 'bob' }],
      });
    });
    const access = failed(accessControls(state));
    expect(Object.keys(access)).toEqual(['cis-5.1.4-create-pods', 'cis-5.1-exec-attach']);
    expect(access['cis-5.1-exec-attach']!.message).toBe(
      'exec and attach limited to system subjects: 1 violation — clusterrole/pod-exec (create on pods/exec, held by Group oncall in namespace shop)',
    );
    expect(evidenceOf(access['cis-5.1.4-create-pods'])).toEqual([
      {
        resource: 'clusterrole/system:controller:replicaset-controller',
        detail: 'create,delete on pods, held by User bob',
      },
    ]);
  });

  it('bind, escalate and impersonate are critical when held', () => {
    const state = withChanges((s) => {
      s.clusterRoles.push({
        metadata: { name: 'rbac-manager' },
        rules: [
          { verbs: ['get', 'bind'], resources: ['clusterroles'] },
          { verbs: ['impersonate'], resources: ['users', 'serviceaccounts'] },
          { verbs: ['get', 'list'], resources: ['clusterroles'] },
        ],
      });
      s.clusterRoleBindings.push({
        metadata: { name: 'bob-rbac' },
        roleRef: { kind: 'ClusterRole', name: 'rbac-manager' },
        subjects: [{ kind: 'User', name: 'bob' }],
      });
    });
    expect(failed(accessControls(state))['cis-5.1.8-escalation']).toMatchObject({
      severity: 'critical',
      resource: 'clusterrole/rbac-manager',
      evidence: [
        { resource: 'clusterrole/rbac-manager', detail: 'get,bind on clusterroles, held by User bob' },
        { resource: 'clusterrole/rbac-manager', detail: 'impersonate on users,serviceaccounts, held by User bob' },
      ],
    });
  });

  it('workloads on the default service account, and those mounting its token', () => {
    const state = withChanges((s) => {
      const legacy = checkout();
      legacy.metadata = { name: 'legacy', namespace: 'shop' };
      delete legacy.spec!.template!.spec!.serviceAccountName;
      delete legacy.spec!.template!.spec!.automountServiceAccountToken;
      const cache = checkout();
      cache.kind = 'StatefulSet';
      cache.metadata = { name: 'cache', namespace: 'shop' };
      cache.spec!.template!.spec!.serviceAccountName = 'default'; // its token is not mounted
      s.workloads.push(legacy, cache);
    });
    const access = failed(accessControls(state));
    expect(evidenceOf(access['cis-5.1.5-default-sa'])).toEqual([
      { resource: 'deployment/shop/legacy', detail: 'runs as the default service account' },
      { resource: 'statefulset/shop/cache', detail: 'runs as the default service account' },
    ]);
    expect(evidenceOf(access['cis-5.1.6-token-mount'])).toEqual([
      { resource: 'deployment/shop/legacy', detail: 'mounts the default service account token' },
    ]);
  });
});

describe('pod security (Polaris) and ConfigMaps', () => {
  /** A Deployment that breaks the Polaris checks: host network, a privileged container, a hostPath, a risky init container. */
  const legacy = (): Workload => ({
    kind: 'Deployment',
    metadata: { name: 'legacy', namespace: 'shop' },
    spec: {
      replicas: 1,
      template: {
        metadata: { labels: { app: 'legacy' } },
        spec: {
          hostNetwork: true,
          hostPID: true,
          volumes: [{ hostPath: { path: '/var/run/docker.sock' } }],
          containers: [{ name: 'app', image: 'legacy/app:latest', securityContext: { privileged: true } }],
          initContainers: [
            { name: 'migrate', image: 'legacy/migrate', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
          ],
        },
      },
    },
  });
  const security = failed(securityControls(withChanges((s) => s.workloads.push(legacy()))));

  it('finds each Polaris violation under its own control, init containers included', () => {
    expect(Object.keys(security)).toEqual([
      'polaris-run-as-non-root',
      'polaris-privileged',
      'polaris-privilege-escalation',
      'polaris-host-namespaces',
      'polaris-host-path',
      'polaris-capabilities',
      'polaris-read-only-root',
      'polaris-seccomp',
      'polaris-image-tag',
    ]);
    expect(security['polaris-privileged']).toMatchObject({
      severity: 'critical',
      resource: 'deployment/shop/legacy/app',
    });
    expect(evidenceOf(security['polaris-run-as-non-root']).map((e) => e.resource)).toEqual([
      'deployment/shop/legacy/app',
      'deployment/shop/legacy/migrate',
    ]);
    expect(security['polaris-host-namespaces']).toMatchObject({
      severity: 'critical',
      evidence: [{ resource: 'deployment/shop/legacy', detail: 'hostNetwork, hostPID' }],
    });
    expect(evidenceOf(security['polaris-host-path'])).toEqual([
      { resource: 'deployment/shop/legacy', detail: 'hostPath /var/run/docker.sock' },
    ]);
    expect(security['polaris-capabilities']!.message).toBe(
      'no added capabilities, ALL dropped: 2 violations — deployment/shop/legacy/app (does not drop ALL); deployment/shop/legacy/migrate (adds NET_ADMIN)',
    );
  });

  it('pins images by tag or digest; latest, no tag, and a registry port are not pins', () => {
    const images = [
      'busybox@sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74',
      'nginx:1.27',
      'nginx',
      'reg.example.com:5000/shop/api',
    ];
    const state = withChanges((s) => {
      const w = checkout();
      w.spec!.template!.spec!.containers = images.map((image, i) => ({ name: `c${i}`, image }));
      s.workloads = [w];
    });
    expect(evidenceOf(failed(securityControls(state))['polaris-image-tag'])).toEqual([
      { resource: 'deployment/shop/checkout/c2', detail: 'nginx: no tag' },
      { resource: 'deployment/shop/checkout/c3', detail: 'reg.example.com:5000/shop/api: no tag' },
    ]);
    expect(security['polaris-image-tag']!.message).toContain('legacy/app:latest: :latest');
  });

  it("a container's own runAsUser 0 overrides the pod's non-root user", () => {
    const state = withChanges((s) => {
      const w = checkout();
      w.spec!.template!.spec!.securityContext = { runAsUser: 1000 };
      w.spec!.template!.spec!.containers!.push({
        name: 'root-sidecar',
        image: 'envoy:1.29',
        securityContext: { runAsUser: 0 },
      });
      s.workloads = [w];
    });
    expect(evidenceOf(failed(securityControls(state))['polaris-run-as-non-root'])).toEqual([
      { resource: 'deployment/shop/checkout/root-sidecar', detail: 'may run as root' },
    ]);
  });

  it('names the ConfigMap key holding a credential, never its value; placeholders and empty values pass', () => {
    const state = withChanges((s) =>
      s.configMaps.push({
        kind: 'ConfigMap',
        metadata: { name: 'legacy-config', namespace: 'shop' },
        data: { API_TOKEN: 'tok_live_1234', MODE: 'fast', db_password: 'hunter2', SMTP_SECRET: '${SMTP_SECRET}' },
      }),
    );
    const finding = failed(securityControls(state))['configmap-sensitive-values']!;
    expect(finding).toMatchObject({ severity: 'critical', resource: 'configmap/shop/legacy-config' });
    expect(evidenceOf(finding)).toEqual([
      { resource: 'configmap/shop/legacy-config', detail: 'key API_TOKEN' },
      { resource: 'configmap/shop/legacy-config', detail: 'key db_password' },
    ]);
    expect(JSON.stringify(finding)).not.toMatch(/tok_live_1234|hunter2/);
  });
});

describe('reliability', () => {
  it('names missing resources and limits over the policy, per container', () => {
    const state = withChanges((s) => {
      const w = checkout();
      w.spec!.template!.spec!.containers!.push(
        { name: 'bare', image: 'busybox:1.36', readinessProbe: probe('/'), livenessProbe: probe('/') },
        {
          name: 'greedy',
          image: 'busybox:1.36',
          resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '4', memory: '8Gi' } },
          readinessProbe: probe('/'),
          livenessProbe: probe('/'),
        },
      );
      s.workloads = [w];
    });
    const policy = failed(reliabilityControls(state, runbookPolicy))['resources-policy']!;
    expect(policy.message).toBe(
      'requests and limits set, within policy (requests cpu 500m / memory 1Gi, limits cpu 2 / memory 4Gi): 2 violations — ' +
        'deployment/shop/checkout/bare (missing requests.cpu, requests.memory, limits.cpu, limits.memory); ' +
        'deployment/shop/checkout/greedy (cpu request 1 over 500m; memory request 2Gi over 1Gi; cpu limit 4 over 2; memory limit 8Gi over 4Gi)',
    );
    expect(policy.remedy).toBe(
      'Set resources like the runbook: requests cpu 500m / memory 1Gi, limits cpu 2 / memory 4Gi.',
    );
  });

  it('judges requests and limits against the policy it is given', () => {
    const tight = { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } };
    const policy = failed(reliabilityControls(compliant(), tight))['resources-policy']!;
    expect(policy.message).toBe(
      'requests and limits set, within policy (requests cpu 250m / memory 512Mi, limits cpu 1 / memory 2Gi): 1 violation — deployment/shop/checkout/checkout (cpu request 500m over 250m; memory request 1Gi over 512Mi; cpu limit 2 over 1; memory limit 4Gi over 2Gi)',
    );
    expect(policy.remedy).toBe(
      'Set resources like the runbook: requests cpu 250m / memory 512Mi, limits cpu 1 / memory 2Gi.',
    );
    // Requests over the policy with limits within it: the old check, comparing limits only, passed this.
    const reserving = withChanges((s) => {
      s.workloads[0]!.spec!.template!.spec!.containers![0]!.resources = {
        requests: { cpu: '2', memory: '4Gi' },
        limits: { cpu: '2', memory: '4Gi' },
      };
    });
    expect(evidenceOf(failed(reliabilityControls(reserving, runbookPolicy))['resources-policy'])).toEqual([
      {
        resource: 'deployment/shop/checkout/checkout',
        detail: 'cpu request 2 over 500m; memory request 4Gi over 1Gi',
      },
    ]);
  });

  it('says which probe is missing', () => {
    const state = withChanges((s) => {
      const c = s.workloads[0]!.spec!.template!.spec!.containers![0]!;
      delete c.livenessProbe;
      s.workloads[0]!.spec!.template!.spec!.containers!.push({ name: 'sidecar', image: 'envoy:1.29' });
    });
    expect(evidenceOf(failed(reliabilityControls(state, runbookPolicy)).probes)).toEqual([
      { resource: 'deployment/shop/checkout/checkout', detail: 'no livenessProbe' },
      { resource: 'deployment/shop/checkout/sidecar', detail: 'no readinessProbe, no livenessProbe' },
    ]);
  });

  it("an HPA needs minReplicas 2 (unset is 1), in the deployment's namespace", () => {
    const hpa = (minReplicas?: number, namespace = 'shop') => ({
      metadata: { name: 'checkout', namespace },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'checkout' }, ...(minReplicas ? { minReplicas } : {}) },
    });
    const detail = (hpas: ClusterState['hpas']) =>
      evidenceOf(
        failed(
          reliabilityControls(
            withChanges((s) => (s.hpas = hpas)),
            runbookPolicy,
          ),
        )['hpa-min-replicas'],
      ).map((e) => e.detail);
    expect(detail([hpa(1)])).toEqual(['HPA minReplicas 1']);
    expect(detail([hpa()])).toEqual(['HPA minReplicas 1']);
    expect(detail([hpa(3, 'billing')])).toEqual(['no HPA']);
    expect(detail([hpa(3)])).toEqual([]);
  });

  it('a PDB must select the pods by their labels', () => {
    const state = withChanges((s) => (s.pdbs[0]!.spec = { selector: { matchLabels: { app: 'checkout-v1' } } }));
    expect(failed(reliabilityControls(state, runbookPolicy)).pdb).toMatchObject({
      resource: 'deployment/shop/checkout',
      evidence: [{ resource: 'deployment/shop/checkout', detail: 'no PodDisruptionBudget' }],
    });
  });

  it("counts an HPA's minReplicas as replicas; one replica without it fails", () => {
    const one = withChanges((s) => (s.workloads[0]!.spec!.replicas = 1));
    expect(failed(reliabilityControls(one, runbookPolicy)).replicas).toBeUndefined();
    const alone = withChanges((s) => {
      delete s.workloads[0]!.spec!.replicas; // the API's default: 1
      s.hpas = [];
    });
    expect(evidenceOf(failed(reliabilityControls(alone, runbookPolicy)).replicas)).toEqual([
      { resource: 'deployment/shop/checkout', detail: 'replicas 1' },
    ]);
  });

  it('holds StatefulSets to the resource policy but not to the Deployment-only HPA, PDB and replica checks', () => {
    const state = withChanges((s) => {
      const db = checkout();
      db.kind = 'StatefulSet';
      db.metadata = { name: 'db', namespace: 'shop' };
      db.spec!.replicas = 1;
      delete db.spec!.template!.spec!.containers![0]!.resources;
      s.workloads.push(db);
    });
    expect(Object.keys(failed(reliabilityControls(state, runbookPolicy)))).toEqual(['resources-policy']);
  });

  it('a control names three offenders in its message and counts the rest; the evidence keeps all', () => {
    const state = withChanges((s) => {
      s.workloads[0]!.spec!.template!.spec!.containers = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
        name,
        image: 'busybox:1.36',
      }));
    });
    const probes = failed(reliabilityControls(state, runbookPolicy)).probes!;
    expect(probes.message).toBe(
      'readiness and liveness probes: 5 violations — ' +
        'deployment/shop/checkout/a (no readinessProbe, no livenessProbe); ' +
        'deployment/shop/checkout/b (no readinessProbe, no livenessProbe); ' +
        'deployment/shop/checkout/c (no readinessProbe, no livenessProbe); and 2 more',
    );
    expect(evidenceOf(probes)).toHaveLength(5);
    expect(probes.resource).toBe('deployment/shop/checkout/a');
    const four = withChanges((s) => {
      s.workloads[0]!.spec!.template!.spec!.containers = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
    });
    expect(failed(reliabilityControls(four, runbookPolicy)).probes!.message).toMatch(
      /^readiness and liveness probes: 4 violations — .*checkout\/c \(no readinessProbe, no livenessProbe\); and 1 more$/,
    );
  });
});

describe('operations', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const quiet: OperationsInput = {
    backups: [{ job: 'orders-backup', lastSuccess: new Date('2026-11-26T02:00:00Z'), targetMs: 26 * 3_600_000 }],
    failingJobs: [{ job: 'db-health', failed: 0, missed: 0 }],
    destructive: [],
    errorLogs: [],
    now,
  };

  it('a quiet week passes, and says there was nothing to review', () => {
    expect(operationsControls(quiet).map((f) => [f.check, f.severity, f.message])).toEqual([
      ['ops-backup-freshness', 'info', 'last successful backup within its target age: passed'],
      ['ops-failing-jobs', 'info', 'no job failing or missing its schedule: passed'],
      ['ops-destructive-actions', 'info', 'destructive actions reviewed: none in the period'],
      ['ops-error-log-volume', 'info', 'error-log volume: no log-analysis run recorded in the period'],
    ]);
  });

  it('a backup older than its target, or never made, is critical; exactly at the target is not late', () => {
    const [backups] = operationsControls({
      ...quiet,
      backups: [
        { job: 'orders-backup', lastSuccess: new Date('2026-11-25T02:00:00Z'), targetMs: 26 * 3_600_000 },
        { job: 'config-backup', lastSuccess: new Date('2026-11-25T10:00:00Z'), targetMs: 26 * 3_600_000 },
        { job: 'files-backup', lastSuccess: null, targetMs: 26 * 3_600_000 },
      ],
    });
    expect(backups).toMatchObject({
      severity: 'critical',
      resource: 'job/orders-backup',
      message:
        'last successful backup within its target age: 2 violations — job/orders-backup (last success 2026-11-25T02:00:00.000Z); job/files-backup (never succeeded)',
    });
  });

  it('counts failures and missed runs; lists who acted destructively and the error volume', () => {
    const findings = operationsControls({
      ...quiet,
      failingJobs: [
        { job: 'db-health', failed: 2, missed: 1 },
        { job: 'cache-health', failed: 0, missed: 0 },
      ],
      destructive: [
        { at: now, actor: 'ada', action: 'cache-clear', job: 'sessions-clear' },
        { at: now, actor: 'bob', action: 'rollback', job: null },
        { at: now, actor: 'ada', action: 'clear-stuck', job: 'orders-stuck' },
      ],
      errorLogs: [
        { service: 'checkout', errors: 42 },
        { service: 'payments', errors: 7 },
      ],
    });
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      ['info', 'last successful backup within its target age: passed'],
      ['warning', 'no job failing or missing its schedule: 1 violation — job/db-health (2 failed, 1 missed)'],
      ['info', 'destructive actions reviewed: 3 (ada, bob)'],
      ['info', 'error-log volume: checkout 42, payments 7'],
    ]);
    expect(findings[2]!.evidence).toHaveLength(3);
  });
});
