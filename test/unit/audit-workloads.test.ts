/**
 * The workload controls of issue 17, on recorded objects: label selectors as Kubernetes
 * applies them (PDBs with matchExpressions were ignored), NetworkPolicy coverage, host
 * ports, pull policy, seccomp, secrets in env values and ConfigMaps (BYPASS_CACHE was
 * "critical"), and Jobs, CronJobs and bare Pods audited like Deployments.
 */
import fc from 'fast-check';
import {
  accessControls,
  reliabilityControls,
  runbookPolicy,
  securityControls,
  type ClusterState,
} from '../../src/analysis/audit.js';
import type { LabelSelector } from '../../src/analysis/audit/cluster.js';
import { credentialName } from '../../src/analysis/audit/sensitive.js';
import { selects } from '../../src/analysis/audit/selector.js';
import { checkout, evidenceOf, failed, withChanges, type Workload } from '../support/audit-cluster.js';

const security = (change: (s: ClusterState) => void) => failed(securityControls(withChanges(change)));
const container = (s: ClusterState) => s.workloads[0]!.spec!.template!.spec!.containers![0]!;

describe('label selectors', () => {
  const pod = { app: 'checkout', tier: 'web' };
  it.each<[LabelSelector | undefined, boolean]>([
    [{ matchExpressions: [{ key: 'app', operator: 'In', values: ['checkout', 'cart'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['cart'] }] }, true],
    [{ matchExpressions: [{ key: 'canary', operator: 'NotIn', values: ['true'] }] }, true], // absent: not in the set
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, true],
    [{ matchLabels: { app: 'checkout' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }, false], // the API rejects it: selects nothing
    [{ matchExpressions: [{ key: 'app', operator: 'Matches', values: ['.*'] }] }, false],
    [{}, true], // empty: every pod
    [undefined, false], // none: no pod
  ])('%j selects {app: checkout, tier: web}: %s', (selector, expected) => {
    expect(selects(selector, pod)).toBe(expected);
  });

  it('matchLabels alone is equality on every pair; NotIn is the negation of In; never throws on odd input', () => {
    const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'zone'), fc.constantFrom('a', 'b', 'c'));
    fc.assert(
      fc.property(
        labels,
        labels,
        fc.constantFrom('app', 'tier'),
        fc.array(fc.constantFrom('a', 'b'), { minLength: 1 }),
        (want, have, key, values) => {
          expect(selects({ matchLabels: want }, have)).toBe(Object.entries(want).every(([k, v]) => have[k] === v));
          const inSet = selects({ matchExpressions: [{ key, operator: 'In', values }] }, have);
          expect(selects({ matchExpressions: [{ key, operator: 'NotIn', values }] }, have)).toBe(!inSet);
        },
      ),
    );
    const junk = fc.oneof(
      fc.anything(),
      fc.record({ matchLabels: fc.anything(), matchExpressions: fc.anything() }, { requiredKeys: [] }),
      fc.record({
        matchExpressions: fc.array(
          fc.record({ key: fc.anything(), operator: fc.anything(), values: fc.anything() }, { requiredKeys: [] }),
        ),
      }),
    );
    fc.assert(
      fc.property(junk, fc.dictionary(fc.string(), fc.string()), (selector, have) => {
        expect(typeof selects(selector as LabelSelector, have)).toBe('boolean');
      }),
    );
  });

  it('a term whose key is not a string selects nothing (found by fast-check: its toString threw)', () => {
    const hostile = { matchExpressions: [{ key: { toString: [] }, operator: 'Exists' }] } as unknown as LabelSelector;
    expect(selects(hostile, {})).toBe(false);
  });

  it('a PDB selecting with matchExpressions covers the deployment', () => {
    const state = withChanges(
      (s) =>
        (s.pdbs[0]!.spec = { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['checkout'] }] } }),
    );
    expect(failed(reliabilityControls(state, runbookPolicy)).pdb).toBeUndefined();
    const other = withChanges(
      (s) =>
        (s.pdbs[0]!.spec = {
          selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['checkout'] }] },
        }),
    );
    expect(evidenceOf(failed(reliabilityControls(other, runbookPolicy)).pdb)).toEqual([
      { resource: 'deployment/shop/checkout', detail: 'no PodDisruptionBudget' },
    ]);
  });
});

describe('NetworkPolicy coverage', () => {
  it('names workloads no policy in their namespace selects; an empty podSelector covers all', () => {
    const none = security((s) => (s.networkPolicies = []));
    expect(evidenceOf(none['polaris-network-policy'])).toEqual([
      { resource: 'deployment/shop/checkout', detail: 'namespace shop has no NetworkPolicy' },
    ]);
    const elsewhere = security((s) => {
      s.networkPolicies[0]!.metadata!.namespace = 'billing';
      s.networkPolicies.push({
        metadata: { name: 'cart-only', namespace: 'shop' },
        spec: { podSelector: { matchLabels: { app: 'cart' } } },
      });
    });
    expect(evidenceOf(elsewhere['polaris-network-policy'])).toEqual([
      { resource: 'deployment/shop/checkout', detail: 'none of the 1 NetworkPolicies in shop selects its pods' },
    ]);
    const hostNetwork = security((s) => {
      s.networkPolicies = [];
      s.workloads[0]!.spec!.template!.spec!.hostNetwork = true;
    });
    expect(hostNetwork['polaris-network-policy']).toBeUndefined(); // a policy cannot reach it: host-namespaces fails it
    expect(hostNetwork['polaris-host-namespaces']).toBeDefined();
    const byExpression = security(
      (s) => (s.networkPolicies[0]!.spec!.podSelector = { matchExpressions: [{ key: 'app', operator: 'Exists' }] }),
    );
    expect(byExpression['polaris-network-policy']).toBeUndefined();
  });
});

describe('host ports, pull policy, seccomp, image', () => {
  it('a hostPort is named with its container port', () => {
    const result = security(
      (s) => (container(s).ports = [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9090 }]),
    );
    expect(evidenceOf(result['polaris-host-port'])).toEqual([
      { resource: 'deployment/shop/checkout/checkout', detail: 'hostPort 9090 (container port 9090)' },
    ]);
  });

  it('a moving tag not pulled Always fails; versions, digests and the Always default for latest pass', () => {
    const images: Array<[string, string | undefined]> = [
      ['nginx:stable', undefined], // defaults to IfNotPresent
      ['nginx:latest', 'IfNotPresent'],
      ['nginx:1.27', 'IfNotPresent'],
      ['nginx', undefined], // defaults to Always (and fails the image-tag control instead)
      ['nginx:main', 'Always'],
      ['nginx@sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74', 'IfNotPresent'],
    ];
    const result = security((s) => {
      s.workloads[0]!.spec!.template!.spec!.containers = images.map(([image, imagePullPolicy], i) => ({
        name: `c${i}`,
        image,
        ...(imagePullPolicy && { imagePullPolicy }),
      }));
    });
    expect(evidenceOf(result['polaris-pull-policy'])).toEqual([
      { resource: 'deployment/shop/checkout/c0', detail: 'nginx:stable: imagePullPolicy IfNotPresent with :stable' },
      { resource: 'deployment/shop/checkout/c1', detail: 'nginx:latest: imagePullPolicy IfNotPresent with :latest' },
    ]);
  });

  it("seccomp: the container's profile overrides the pod's; RuntimeDefault or Localhost pass", () => {
    const result = security((s) => {
      const w = s.workloads[0]!;
      w.spec!.template!.spec!.securityContext = { runAsNonRoot: true };
      w.spec!.template!.spec!.containers = [
        { name: 'none', image: 'a:1' },
        { name: 'unconfined', image: 'a:1', securityContext: { seccompProfile: { type: 'Unconfined' } } },
        {
          name: 'local',
          image: 'a:1',
          securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } },
        },
      ];
    });
    expect(evidenceOf(result['polaris-seccomp'])).toEqual([
      { resource: 'deployment/shop/checkout/none', detail: 'no seccomp profile' },
      { resource: 'deployment/shop/checkout/unconfined', detail: 'seccomp Unconfined' },
    ]);
  });

  it('a container without an image says so (not "undefined: no tag")', () => {
    const result = security((s) => delete container(s).image);
    expect(evidenceOf(result['polaris-image-tag'])).toEqual([
      { resource: 'deployment/shop/checkout/checkout', detail: 'no image set' },
    ]);
  });
});

describe('secrets in env values and ConfigMaps', () => {
  it('names are judged by whole components: BYPASS_CACHE, PASSTHROUGH, TOKEN_TTL hold no credential', () => {
    for (const name of [
      'DATABASE_PASSWORD',
      'db_pass',
      'dbPassword',
      'STRIPE_API_KEY',
      'apiKey',
      'GITHUB_TOKEN',
      'client-secret',
      'AWS_SECRET_ACCESS_KEY',
      'JWT_SECRET_B64',
      'tls.key',
      'id_rsa',
      'ssh-privatekey',
    ])
      expect([name, credentialName(name)]).toEqual([name, true]);
    for (const name of [
      'BYPASS_CACHE',
      'PASSTHROUGH',
      'TOKEN_TTL',
      'MAX_TOKENS',
      'SECRET_NAME',
      'PASSWORD_MIN_LENGTH',
      'AWS_ACCESS_KEY_ID',
      'COMPASS_URL',
      'keyspace',
    ])
      expect([name, credentialName(name)]).toEqual([name, false]);
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (name) => expect(typeof credentialName(name)).toBe('boolean')),
    );
  });

  it('a literal env value with a credential name, or holding a private key, fails; the value is never repeated', () => {
    const result = security((s) => {
      container(s).env = [
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'BYPASS_CACHE', value: 'true' },
        { name: 'PASSTHROUGH', value: 'yes' },
        { name: 'SIGNING', value: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----' },
        { name: 'API_TOKEN' }, // valueFrom, not a literal
        { name: 'SMTP_PASSWORD', value: '${SMTP_PASSWORD}' },
      ];
    });
    const finding = result['polaris-sensitive-env']!;
    expect(finding).toMatchObject({ severity: 'critical', resource: 'deployment/shop/checkout/checkout' });
    expect(evidenceOf(finding)).toEqual([
      { resource: 'deployment/shop/checkout/checkout', detail: 'env DB_PASSWORD' },
      { resource: 'deployment/shop/checkout/checkout', detail: 'env SIGNING (a private key)' },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|MHcCAQEE/);
  });

  it('ConfigMaps: BYPASS_CACHE is not a credential; binaryData keys of key material are', () => {
    const result = security((s) =>
      s.configMaps.push({
        metadata: { name: 'proxy', namespace: 'shop' },
        data: { BYPASS_CACHE: 'true', PASSTHROUGH: 'on', 'ca.crt': '-----BEGIN CERTIFICATE-----' },
        binaryData: { 'server.key': 'LS0tLS1CRUdJTg==', 'logo.png': 'iVBORw0KGgo=' },
      }),
    );
    expect(evidenceOf(result['configmap-sensitive-values'])).toEqual([
      { resource: 'configmap/shop/proxy', detail: 'binaryData key server.key' },
    ]);
  });
});

describe('Jobs, CronJobs and bare Pods are workloads too', () => {
  const privileged = (w: Workload): Workload => {
    w.spec!.template!.spec!.containers![0]!.securityContext = { privileged: true };
    return w;
  };
  const batch = (kind: 'Job' | 'CronJob', name: string): Workload => {
    const w = privileged(checkout());
    w.kind = kind;
    w.metadata = { name, namespace: 'shop' };
    if (kind === 'CronJob') w.spec = { jobTemplate: { spec: { template: w.spec!.template } } };
    return w;
  };

  it("judges their pod templates; a CronJob's Jobs and a controller's Pods are not judged twice", () => {
    const state = withChanges((s) => {
      const made = batch('Job', 'report-29112026');
      made.metadata!.ownerReferences = [{ kind: 'CronJob', name: 'report', controller: true }];
      // An operator's StatefulSet (owned by its custom resource) is audited like any other.
      const operated = privileged(checkout());
      operated.kind = 'StatefulSet';
      operated.metadata = {
        name: 'prometheus-main',
        namespace: 'shop',
        ownerReferences: [{ kind: 'Prometheus', name: 'main', controller: true }],
      };
      s.workloads.push(batch('Job', 'migrate'), batch('CronJob', 'report'), made, operated);
      s.pods.push(
        {
          kind: 'Pod',
          metadata: { name: 'debug', namespace: 'shop' },
          spec: { ...privileged(checkout()).spec!.template!.spec, serviceAccountName: undefined },
        },
        {
          kind: 'Pod',
          metadata: {
            name: 'migrate-x1',
            namespace: 'shop',
            ownerReferences: [{ kind: 'Job', name: 'migrate', controller: true }],
          },
          spec: privileged(checkout()).spec!.template!.spec,
        },
      );
    });
    expect(evidenceOf(failed(securityControls(state))['polaris-privileged']).map((e) => e.resource)).toEqual([
      'job/shop/migrate/checkout',
      'cronjob/shop/report/checkout',
      'statefulset/shop/prometheus-main/checkout',
      'pod/shop/debug/checkout',
    ]);
    // The bare pod runs on the default service account; Jobs need no probes.
    expect(evidenceOf(failed(accessControls(state))['cis-5.1.5-default-sa'])).toEqual([
      { resource: 'pod/shop/debug', detail: 'runs as the default service account' },
    ]);
    const reliability = failed(reliabilityControls(state, runbookPolicy));
    expect(reliability.probes).toBeUndefined();
  });
});

describe('any workload the API returns', () => {
  /** Env values carry a marker: whatever the names, no finding may repeat one. */
  const env = fc.array(
    fc.record({
      name: fc.oneof(fc.constantFrom('DB_PASSWORD', 'API_TOKEN', 'BYPASS_CACHE', 'apiKey', 'tls.key', ''), fc.string()),
      value: fc.string({ maxLength: 300 }).map((v) => `VALUE-MARK-${v}`),
    }),
    { maxLength: 4 },
  );
  const containerOf = fc.record(
    {
      name: fc.string({ maxLength: 20 }),
      image: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('nginx', 'a/b:latest', 'h:5000/x', 'x@sha256:00')),
      imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent', 'Never', 'odd'),
      env,
      ports: fc.array(fc.record({ containerPort: fc.integer(), hostPort: fc.integer() }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  );
  const labelsOf = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 });
  const workload = fc.record({
    kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', undefined),
    metadata: fc.record({ name: fc.string(), namespace: fc.constantFrom('shop', 'billing') }),
    spec: fc.record(
      {
        template: fc.record({
          metadata: fc.record({ labels: labelsOf }),
          spec: fc.record({ containers: fc.array(containerOf, { maxLength: 3 }) }),
        }),
        jobTemplate: fc.record({
          spec: fc.record({
            template: fc.record({ spec: fc.record({ containers: fc.array(containerOf, { maxLength: 2 }) }) }),
          }),
        }),
      },
      { requiredKeys: [] },
    ),
  });

  it('never throws, and never repeats an env value in a finding', () => {
    fc.assert(
      fc.property(fc.array(workload, { maxLength: 4 }), labelsOf, (workloads, selector) => {
        const state = withChanges((s) => {
          s.workloads = workloads as Workload[];
          s.networkPolicies[0]!.spec!.podSelector = { matchLabels: selector };
        });
        const findings = [
          ...securityControls(state),
          ...accessControls(state),
          ...reliabilityControls(state, runbookPolicy),
        ];
        expect(JSON.stringify(findings)).not.toContain('VALUE-MARK-');
      }),
      { numRuns: 200 },
    );
  });
});
