/**
 * The Helm chart rendered with Helm's own template engine (Go text/template + sprig, from
 * Debian's packages) by the stand-in renderer in test/helm/render.go — there is no helm
 * binary here; its header lists what it implements — and the schemas each kind is checked with.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as core from 'kubernetes-models/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as monitoringAlpha from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1';
import YAML from 'yaml';
import { tempDir } from './cli.js';

export const CHART = join(process.cwd(), 'charts', 'opscron');
export type Obj = Record<string, any>;

/** The Kubernetes (and Prometheus Operator) schema of each kind the chart renders. */
export const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  ConfigMap: core.ConfigMap,
  Service: core.Service,
  ServiceAccount: core.ServiceAccount,
  PersistentVolumeClaim: core.PersistentVolumeClaim,
  Deployment: apps.Deployment,
  HorizontalPodAutoscaler: autoscaling.HorizontalPodAutoscaler,
  PodDisruptionBudget: policy.PodDisruptionBudget,
  ClusterRole: rbac.ClusterRole,
  ClusterRoleBinding: rbac.ClusterRoleBinding,
  RoleBinding: rbac.RoleBinding,
  NetworkPolicy: networking.NetworkPolicy,
  ServiceMonitor: monitoring.ServiceMonitor,
  PrometheusRule: monitoring.PrometheusRule,
  AlertmanagerConfig: monitoringAlpha.AlertmanagerConfig,
};

export type Render = (overrides?: Obj) => { objects: Obj[]; text: string };

/** Builds the renderer (go build, a few seconds) and returns `render(values overrides)`. */
export function chartRenderer(): Render {
  const bin = join(tempDir('helm-'), 'render');
  execFileSync('go', ['build', '-o', bin, 'render.go'], {
    cwd: join(process.cwd(), 'test', 'helm'),
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(tempDir('gocache-'), 'c') },
  });
  return (overrides) => {
    const args = [CHART, 'opscron', 'opscron'];
    if (overrides) {
      const file = join(tempDir('values-'), 'values.yaml');
      writeFileSync(file, YAML.stringify(overrides));
      args.push(file);
    }
    const result = spawnSync(bin, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr.trim());
    return {
      text: result.stdout,
      objects: YAML.parseAllDocuments(result.stdout)
        .map((d) => d.toJS())
        .filter(Boolean),
    };
  };
}

export const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
export const named = (objects: Obj[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)!;
