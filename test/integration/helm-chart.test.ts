/**
 * The Helm chart, rendered with Helm's own template engine (Go text/template + sprig, from
 * Debian's packages) by the stand-in renderer in test/helm/render.go — there is no helm
 * binary here; its header lists what it implements. Every rendered object is validated
 * against the Kubernetes (and Prometheus Operator) schemas, the alert rules pass
 * `promtool check rules`, the runbook's settings are checked, and opscron's own
 * audit-review, run against the rendered objects in the fake API server, finds nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import * as apps from 'kubernetes-models/apps/v1';
import * as monitoringAlpha from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1';
import YAML from 'yaml';
import { allows } from '../../src/analysis/audit/rbac.js';
import { parseConfig } from '../../src/configure.js';
import { auditReview, auditReviewParams } from '../../src/jobs/audit-review.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { byKind, CHART, chartRenderer, MODELS, named, type Obj, type Render } from '../support/helm.js';
import { jobContext } from '../support/job-context.js';

describe('Helm chart', () => {
  let render: Render;
  beforeAll(() => {
    render = chartRenderer();
  });

  it('renders objects that all validate against the Kubernetes and Prometheus Operator schemas', () => {
    const { objects } = render();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/opscron-jobs',
      'ClusterRole/opscron-rbac-read',
      'ClusterRoleBinding/opscron-rbac-read',
      'ConfigMap/opscron',
      'Deployment/opscron-scheduler',
      'Deployment/opscron-worker',
      'HorizontalPodAutoscaler/opscron-scheduler',
      'HorizontalPodAutoscaler/opscron-worker',
      'NetworkPolicy/opscron',
      'PersistentVolumeClaim/opscron',
      'PodDisruptionBudget/opscron-scheduler',
      'PodDisruptionBudget/opscron-worker',
      'PrometheusRule/opscron',
      'RoleBinding/opscron-jobs',
      'Service/opscron',
      'ServiceAccount/opscron',
      'ServiceMonitor/opscron',
    ]);
    for (const o of objects) {
      const Model = MODELS[o.kind];
      expect(Model).toBeDefined();
      expect(() => new Model!(o).validate()).not.toThrow();
    }
    // The validator does reject what the API server would.
    const broken = structuredClone(named(objects, 'Deployment', 'opscron-worker'));
    broken.spec.replicas = 'two';
    expect(() => new apps.Deployment(broken).validate()).toThrow('data/spec/replicas must be integer');
  });

  it("carries the runbook's settings: HPA 2-10 at 70 % CPU, resources 500m/1Gi and 2/4Gi, 15 s scrapes", () => {
    const { objects } = render();
    expect(named(objects, 'HorizontalPodAutoscaler', 'opscron-worker').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'opscron-worker' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    });
    for (const d of byKind(objects, 'Deployment')) {
      const pod = d.spec.template.spec;
      expect(pod.containers[0].resources).toEqual({
        requests: { cpu: '500m', memory: '1Gi' },
        limits: { cpu: '2', memory: '4Gi' },
      });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
      expect(pod.containers[0].readinessProbe.httpGet.path).toBe('/ready');
      expect(pod.containers[0].livenessProbe.httpGet.path).toBe('/health');
      expect(pod.containers[0].env.filter((e: Obj) => e.value !== undefined).map((e: Obj) => e.name)).toEqual(['PORT']); // every secret by reference
    }
    expect(named(objects, 'Deployment', 'opscron-scheduler').spec.template.spec.containers[0].args).toEqual([
      'start',
      '--role',
      'scheduler',
      '--config',
      '/etc/opscron/opscron.yaml',
    ]);
    expect(named(objects, 'ServiceMonitor', 'opscron').spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '15s', honorLabels: true },
    ]);
    // The config it ships is a valid opscron configuration.
    expect(() => parseConfig(YAML.parse(named(objects, 'ConfigMap', 'opscron').data['opscron.yaml']))).not.toThrow();
  });

  it('rolls the pods when the config changes (checksum annotation), and refuses a missing secret name', () => {
    const checksum = (objects: Obj[]) =>
      named(objects, 'Deployment', 'opscron-worker').spec.template.metadata.annotations['checksum/config'];
    const before = checksum(render().objects);
    expect(checksum(render({ config: { timezone: 'Europe/Berlin' } }).objects)).not.toBe(before);
    expect(() => render({ secrets: { existingSecret: '' } })).toThrow(/secrets.existingSecret is required/);
  });

  it('grants only what the enabled jobs need', () => {
    const rules = (objects: Obj[]) =>
      named(objects, 'ClusterRole', 'opscron-jobs').rules.map(
        (r: Obj) => `${r.resources.join(',')}:${r.verbs.join(',')}`,
      );
    expect(rules(render().objects)).not.toEqual(expect.arrayContaining([expect.stringMatching(/secrets|patch/)]));
    expect(rules(render({ rbac: { jobs: { rollout: true, configBackup: true } } }).objects)).toEqual(
      expect.arrayContaining(['deployments:get,patch', 'configmaps,secrets:get,list,create,update']),
    );
  });

  it('its alert rules pass promtool check rules', () => {
    const rule = named(render().objects, 'PrometheusRule', 'opscron');
    expect(rule.spec.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.alert))).toEqual([
      'HighErrorRate',
      'OpscronJobFailing',
      'OpscronSchedulerStale',
      'OpscronMissedSlots',
      'OpscronIncidentOpen',
      'OpscronReportDeliveriesFailing',
    ]);
    for (const r of rule.spec.groups.flatMap((g: Obj) => g.rules))
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'summary']);
    const file = join(tempDir('rules-'), 'rules.yml');
    writeFileSync(file, YAML.stringify({ groups: rule.spec.groups }));
    const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: 6 rules found/);
  });

  it("routes alerts with a service label to opscron's Alertmanager receiver, with a token by reference", () => {
    expect(byKind(render().objects, 'AlertmanagerConfig')).toEqual([]);
    const { objects } = render({ alertmanagerConfig: { enabled: true } });
    const config = named(objects, 'AlertmanagerConfig', 'opscron');
    expect(() => new monitoringAlpha.AlertmanagerConfig(config as never).validate()).not.toThrow();
    expect(config.spec.route).toMatchObject({
      receiver: 'opscron',
      groupBy: ['alertname', 'service'],
      matchers: [{ name: 'service', matchType: '=~', value: '.+' }],
    });
    expect(config.spec.receivers).toEqual([
      {
        name: 'opscron',
        webhookConfigs: [
          {
            url: 'http://opscron.opscron.svc:8080/api/alerts/alertmanager',
            sendResolved: true,
            maxAlerts: 100,
            httpConfig: {
              authorization: { type: 'Bearer', credentials: { name: 'opscron', key: 'OPSCRON_ALERTMANAGER_TOKEN' } },
            },
          },
        ],
      },
    ]);
    // HighErrorRate names the service the receiver maps (alertmanager.serviceLabel).
    const rule = named(objects, 'PrometheusRule', 'opscron');
    expect(rule.spec.groups[0].rules[0].labels).toEqual({ severity: 'critical', service: '{{ $labels.job }}' });
    expect(() => render({ alertmanagerConfig: { enabled: true, tokenSecret: { name: '', key: 'k' } } })).toThrow(
      /alertmanagerConfig.tokenSecret.name is required/,
    );
  });

  it('values.schema.json accepts the defaults and rejects bad values', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')),
    );
    expect(validate(YAML.parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')))).toBe(true);
    const bad = YAML.parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    bad.image.tag = 'latest';
    bad.worker.autoscaling.minReplicas = 'two';
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath).sort()).toEqual([
      '/image/tag',
      '/worker/autoscaling/minReplicas',
    ]);
    const s3 = YAML.parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    s3.objectStorage = { ...s3.objectStorage, enabled: true, bucket: 'opscron-prod', serverSideEncryption: 'AES256' };
    expect(validate(s3)).toBe(true);
    s3.objectStorage.serverSideEncryption = 'aws:kms2';
    s3.objectStorage.bucket = 'Bad_Bucket';
    expect(validate(s3)).toBe(false);
  });

  it("opscron's own audit-review gives its chart a clean bill", async () => {
    const kube = await new FakeKube().start();
    try {
      const { objects } = render({
        rbac: { jobs: { rollout: true, debugLogging: true, resourceUsage: false, logAnalysis: false } },
      });
      for (const o of objects) {
        if (['ServiceMonitor', 'PrometheusRule'].includes(o.kind)) continue; // not read by audit-review
        kube.add({
          ...o,
          metadata: {
            namespace: o.kind.startsWith('Cluster') ? undefined : (o.metadata.namespace ?? 'opscron'),
            ...o.metadata,
          },
        });
      }
      const config = parseConfig({
        kubernetes: { kubeconfig: kube.kubeconfig(tempDir('chart-audit-')), namespaces: ['opscron', 'default'] },
      });
      const outcome = await auditReview.run(
        jobContext(config),
        auditReviewParams.parse({ sections: ['access', 'security', 'reliability'] }),
      );
      expect(outcome.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(outcome.metrics).toMatchObject({ controls: 33, failed: 0 });
      // Every list audit-review made is one the chart's ClusterRoles grant (a new kind read needs a new rule).
      const rules = objects
        .filter((o) => o.kind === 'ClusterRole')
        .flatMap((o) => o.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>);
      const reads = kube.requests.map((r) => {
        const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([^/]+)$/.exec(r.path);
        return { method: r.method, group: m?.[1] ?? '', resource: m?.[2] ?? r.path };
      });
      expect(new Set(reads.map((r) => r.resource))).toEqual(
        new Set([
          'clusterrolebindings',
          'clusterroles',
          'rolebindings',
          'roles',
          'deployments',
          'statefulsets',
          'daemonsets',
          'jobs',
          'cronjobs',
          'pods',
          'configmaps',
          'horizontalpodautoscalers',
          'poddisruptionbudgets',
          'networkpolicies',
        ]),
      );
      for (const read of reads) {
        expect([read, rules.some((rule) => read.method === 'GET' && allows(rule, ['list'], read))]).toEqual([
          read,
          true,
        ]);
      }
    } finally {
      await kube.stop();
    }
  });
});
