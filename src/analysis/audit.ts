/**
 * The audit procedures as controls: each control is one finding whose `check` is the
 * control id — severity info when it passes, warning or critical when it fails — with
 * the offending resources as evidence and the remedy. Access control follows the CIS
 * Kubernetes Benchmark 5.1 checks kube-bench leaves manual; pod security follows Polaris;
 * reliability follows the runbook's resource policy. Pure: cluster objects in, controls out.
 */
import type { Finding } from '../model.js';
import { parseQuantity } from './quantity.js';

type Obj = Record<string, any>;

export interface ClusterState {
  clusterRoleBindings: Obj[];
  clusterRoles: Obj[];
  roleBindings: Obj[];
  roles: Obj[];
  /** Deployments, StatefulSets and DaemonSets (anything with spec.template). */
  workloads: Obj[];
  configMaps: Obj[];
  hpas: Obj[];
  pdbs: Obj[];
}

export interface ResourcePolicy {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export const runbookPolicy: ResourcePolicy = {
  requests: { cpu: '500m', memory: '1Gi' },
  limits: { cpu: '2', memory: '4Gi' },
};

interface Violation {
  resource: string;
  detail: string;
}

interface ControlSpec {
  id: string;
  title: string;
  severity: 'warning' | 'critical';
  remedy: string;
}

/** One finding per control: passed (info) or failed with every violation as evidence. */
function control(spec: ControlSpec, violations: Violation[], scope: string): Finding {
  if (!violations.length)
    return { severity: 'info', check: spec.id, resource: scope, message: `${spec.title}: passed`, evidence: [] };
  const first = violations[0]!;
  return {
    severity: spec.severity,
    check: spec.id,
    resource: first.resource,
    message: `${spec.title}: ${violations.length} violation${violations.length === 1 ? '' : 's'} — ${violations
      .slice(0, 3)
      .map((v) => `${v.resource} (${v.detail})`)
      .join('; ')}${violations.length > 3 ? `; and ${violations.length - 3} more` : ''}`,
    evidence: violations,
    remedy: spec.remedy,
  };
}

const isSystemSubject = (s: Obj) =>
  (s.name ?? '').startsWith('system:') || (s.kind === 'ServiceAccount' && (s.namespace ?? '').startsWith('kube-'));
const isSystemRole = (r: Obj) =>
  (r.metadata?.name ?? '').startsWith('system:') ||
  r.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults';
const ref = (o: Obj, kind: string) =>
  `${kind.toLowerCase()}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
const subjects = (b: Obj) =>
  (b.subjects ?? [])
    .filter((s: Obj) => !isSystemSubject(s))
    .map((s: Obj) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`);

/** Roles (by kind/namespace/name) bound to a non-system subject, with who holds them. */
function boundRoles(state: ClusterState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const b of [...state.clusterRoleBindings, ...state.roleBindings]) {
    const who = subjects(b);
    if (!who.length) continue;
    const key =
      b.roleRef?.kind === 'ClusterRole'
        ? `ClusterRole//${b.roleRef.name}`
        : `Role/${b.metadata?.namespace}/${b.roleRef?.name}`;
    out.set(key, [...(out.get(key) ?? []), ...who]);
  }
  return out;
}

function rules(state: ClusterState): Array<{ role: Obj; kind: string; rule: Obj; holders: string[] }> {
  const bound = boundRoles(state);
  const out: Array<{ role: Obj; kind: string; rule: Obj; holders: string[] }> = [];
  for (const [kind, list] of [
    ['ClusterRole', state.clusterRoles],
    ['Role', state.roles],
  ] as const) {
    for (const role of list) {
      if (isSystemRole(role)) continue;
      const holders =
        bound.get(`${kind}/${kind === 'Role' ? role.metadata?.namespace : ''}/${role.metadata?.name}`) ?? [];
      for (const rule of role.rules ?? []) out.push({ role, kind, rule, holders });
    }
  }
  return out;
}

const grants = (rule: Obj, verbs: string[], resources: string[]) =>
  (rule.verbs ?? []).some((v: string) => v === '*' || verbs.includes(v)) &&
  (rule.resources ?? []).some((r: string) => r === '*' || resources.includes(r));

export function accessControls(state: ClusterState): Finding[] {
  const r = rules(state);
  const granted = (verbs: string[], resources: string[]): Violation[] =>
    r
      .filter((x) => x.holders.length && grants(x.rule, verbs, resources))
      .map((x) => ({
        resource: ref(x.role, x.kind),
        detail: `${(x.rule.verbs ?? []).join(',')} on ${(x.rule.resources ?? []).join(',')}, held by ${x.holders.join(', ')}`,
      }));
  const pods = state.workloads.map((w) => ({ w, spec: w.spec?.template?.spec ?? {} }));
  return [
    control(
      {
        id: 'cis-5.1.1-cluster-admin',
        title: 'cluster-admin bound only to system subjects',
        severity: 'critical',
        remedy:
          'Bind a narrower ClusterRole (or a namespaced Role) instead of cluster-admin; keep cluster-admin for break-glass groups.',
      },
      state.clusterRoleBindings
        .filter((b) => b.roleRef?.name === 'cluster-admin' && subjects(b).length)
        .map((b) => ({ resource: ref(b, 'ClusterRoleBinding'), detail: `cluster-admin to ${subjects(b).join(', ')}` })),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1.3-wildcards',
        title: 'no wildcard verbs or resources in roles',
        severity: 'warning',
        remedy: 'List the verbs and resources the role needs instead of "*".',
      },
      r
        .filter((x) => (x.rule.verbs ?? []).includes('*') || (x.rule.resources ?? []).includes('*'))
        .map((x) => ({
          resource: ref(x.role, x.kind),
          detail: `verbs ${(x.rule.verbs ?? []).join(',')} on ${(x.rule.resources ?? []).join(',')}`,
        })),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1.2-secrets',
        title: 'secrets readable only by system subjects',
        severity: 'warning',
        remedy: 'Remove get/list/watch on secrets from the role, or name the secrets it needs (resourceNames).',
      },
      granted(['get', 'list', 'watch'], ['secrets']).filter((v) => !/resourceNames/.test(v.detail)),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1.4-create-pods',
        title: 'pod creation limited to system subjects',
        severity: 'warning',
        remedy: 'Let controllers create pods; remove create on pods from people and apps.',
      },
      granted(['create'], ['pods']),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1-exec-attach',
        title: 'exec and attach limited to system subjects',
        severity: 'warning',
        remedy: 'Remove create on pods/exec and pods/attach; grant it for incidents only, audited.',
      },
      granted(['create', 'get'], ['pods/exec', 'pods/attach']),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1.8-escalation',
        title: 'no bind, escalate or impersonate',
        severity: 'critical',
        remedy: 'Remove bind, escalate and impersonate: each lets the holder grant itself more than it has.',
      },
      r
        .filter(
          (x) =>
            x.holders.length &&
            (x.rule.verbs ?? []).some((v: string) => ['bind', 'escalate', 'impersonate'].includes(v)),
        )
        .map((x) => ({
          resource: ref(x.role, x.kind),
          detail: `${(x.rule.verbs ?? []).join(',')} held by ${x.holders.join(', ')}`,
        })),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1.5-default-sa',
        title: 'workloads do not use the default service account',
        severity: 'warning',
        remedy: 'Give each workload its own ServiceAccount (spec.serviceAccountName) with only the rights it needs.',
      },
      pods
        .filter(({ spec }) => !spec.serviceAccountName || spec.serviceAccountName === 'default')
        .map(({ w }) => ({ resource: ref(w, w.kind ?? 'Deployment'), detail: 'runs as the default service account' })),
      'cluster',
    ),
    control(
      {
        id: 'cis-5.1.6-token-mount',
        title: 'service-account tokens mounted only where needed',
        severity: 'warning',
        remedy: 'Set automountServiceAccountToken: false on pods that do not call the Kubernetes API.',
      },
      pods
        .filter(
          ({ spec }) =>
            spec.automountServiceAccountToken !== false &&
            (!spec.serviceAccountName || spec.serviceAccountName === 'default'),
        )
        .map(({ w }) => ({
          resource: ref(w, w.kind ?? 'Deployment'),
          detail: 'mounts the default service account token',
        })),
      'cluster',
    ),
  ];
}

const SENSITIVE = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential/i;

export function securityControls(state: ClusterState): Finding[] {
  const containers = state.workloads.flatMap((w) => {
    const spec = w.spec?.template?.spec ?? {};
    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c: Obj) => ({
      w,
      spec,
      c,
      at: `${ref(w, w.kind ?? 'Deployment')}/${c.name}`,
    }));
  });
  const sc = (x: { spec: Obj; c: Obj }, key: string) => x.c.securityContext?.[key] ?? x.spec.securityContext?.[key];
  const image = (img: string) => {
    const last = img.split('/').pop() ?? img;
    if (last.includes('@')) return null;
    const tag = last.includes(':') ? last.split(':').pop() : null;
    return !tag ? 'no tag' : tag === 'latest' ? ':latest' : null;
  };
  return [
    control(
      {
        id: 'polaris-run-as-non-root',
        title: 'containers run as non-root',
        severity: 'warning',
        remedy: 'Set securityContext.runAsNonRoot: true (and a runAsUser other than 0).',
      },
      containers
        .filter((x) => sc(x, 'runAsNonRoot') !== true && !(Number(sc(x, 'runAsUser')) > 0))
        .map((x) => ({ resource: x.at, detail: 'may run as root' })),
      'cluster',
    ),
    control(
      {
        id: 'polaris-privileged',
        title: 'no privileged containers',
        severity: 'critical',
        remedy: 'Remove securityContext.privileged: true; add only the capability the container needs.',
      },
      containers
        .filter((x) => x.c.securityContext?.privileged === true)
        .map((x) => ({ resource: x.at, detail: 'privileged' })),
      'cluster',
    ),
    control(
      {
        id: 'polaris-privilege-escalation',
        title: 'privilege escalation disallowed',
        severity: 'warning',
        remedy: 'Set securityContext.allowPrivilegeEscalation: false.',
      },
      containers
        .filter((x) => x.c.securityContext?.allowPrivilegeEscalation !== false)
        .map((x) => ({ resource: x.at, detail: 'allowPrivilegeEscalation not false' })),
      'cluster',
    ),
    control(
      {
        id: 'polaris-host-namespaces',
        title: 'no host network, PID or IPC',
        severity: 'critical',
        remedy: 'Remove hostNetwork, hostPID and hostIPC from the pod spec.',
      },
      state.workloads
        .filter((w) => ['hostNetwork', 'hostPID', 'hostIPC'].some((k) => w.spec?.template?.spec?.[k] === true))
        .map((w) => ({
          resource: ref(w, w.kind ?? 'Deployment'),
          detail: ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => w.spec.template.spec[k] === true).join(', '),
        })),
      'cluster',
    ),
    control(
      {
        id: 'polaris-host-path',
        title: 'no hostPath volumes',
        severity: 'warning',
        remedy: 'Use a PersistentVolumeClaim, emptyDir or ConfigMap instead of hostPath.',
      },
      state.workloads.flatMap((w) =>
        (w.spec?.template?.spec?.volumes ?? [])
          .filter((v: Obj) => v.hostPath)
          .map((v: Obj) => ({ resource: ref(w, w.kind ?? 'Deployment'), detail: `hostPath ${v.hostPath.path}` })),
      ),
      'cluster',
    ),
    control(
      {
        id: 'polaris-capabilities',
        title: 'no added capabilities, ALL dropped',
        severity: 'warning',
        remedy: 'securityContext.capabilities: {drop: [ALL]} and add back only what is needed (e.g. NET_BIND_SERVICE).',
      },
      containers
        .filter(
          (x) =>
            (x.c.securityContext?.capabilities?.add ?? []).length ||
            !(x.c.securityContext?.capabilities?.drop ?? []).includes('ALL'),
        )
        .map((x) => ({
          resource: x.at,
          detail: (x.c.securityContext?.capabilities?.add ?? []).length
            ? `adds ${x.c.securityContext.capabilities.add.join(',')}`
            : 'does not drop ALL',
        })),
      'cluster',
    ),
    control(
      {
        id: 'polaris-read-only-root',
        title: 'read-only root filesystem',
        severity: 'warning',
        remedy: 'Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app writes.',
      },
      containers
        .filter((x) => x.c.securityContext?.readOnlyRootFilesystem !== true)
        .map((x) => ({ resource: x.at, detail: 'writable root filesystem' })),
      'cluster',
    ),
    control(
      {
        id: 'polaris-image-tag',
        title: 'images pinned to a tag other than latest',
        severity: 'warning',
        remedy: 'Pin the image to a version tag or digest, so a restart cannot change what runs.',
      },
      containers
        .filter((x) => image(String(x.c.image ?? '')))
        .map((x) => ({ resource: x.at, detail: `${x.c.image}: ${image(String(x.c.image))}` })),
      'cluster',
    ),
    control(
      {
        id: 'configmap-sensitive-values',
        title: 'no secrets in plain ConfigMaps',
        severity: 'critical',
        remedy:
          'Move the value to a Secret (referenced with secretKeyRef) and rotate it: it has been readable by anyone who can read ConfigMaps.',
      },
      state.configMaps.flatMap((cm) =>
        Object.entries(cm.data ?? {})
          .filter(([k, v]) => SENSITIVE.test(k) && String(v).trim() !== '' && !/^\$\{.*\}$/.test(String(v)))
          .map(([k]) => ({ resource: ref(cm, 'ConfigMap'), detail: `key ${k}` })),
      ),
      'cluster',
    ),
  ];
}

const selects = (selector: Obj | undefined, labels: Obj) =>
  Boolean(selector?.matchLabels) && Object.entries(selector!.matchLabels).every(([k, v]) => labels?.[k] === v);

export function reliabilityControls(state: ClusterState, policy: ResourcePolicy): Finding[] {
  const deployments = state.workloads.filter((w) => (w.kind ?? 'Deployment') === 'Deployment');
  const over = (value: string | undefined, max: string) =>
    (parseQuantity(value) ?? 0) > (parseQuantity(max) ?? Infinity);
  const hpaFor = (d: Obj) =>
    state.hpas.find(
      (h) =>
        h.metadata?.namespace === d.metadata?.namespace &&
        h.spec?.scaleTargetRef?.kind === 'Deployment' &&
        h.spec?.scaleTargetRef?.name === d.metadata?.name,
    );
  return [
    control(
      {
        id: 'resources-policy',
        title: `requests and limits set, within policy (limits ${policy.limits.cpu} CPU / ${policy.limits.memory})`,
        severity: 'warning',
        remedy: `Set resources like the runbook: requests cpu ${policy.requests.cpu} / memory ${policy.requests.memory}, limits cpu ${policy.limits.cpu} / memory ${policy.limits.memory}.`,
      },
      state.workloads.flatMap((w) =>
        (w.spec?.template?.spec?.containers ?? []).flatMap((c: Obj) => {
          const res = c.resources ?? {};
          const missing = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].filter(
            (p) => !res[p.split('.')[0]!]?.[p.split('.')[1]!],
          );
          const problems = [
            ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
            ...(over(res.limits?.cpu, policy.limits.cpu)
              ? [`cpu limit ${res.limits.cpu} over ${policy.limits.cpu}`]
              : []),
            ...(over(res.limits?.memory, policy.limits.memory)
              ? [`memory limit ${res.limits.memory} over ${policy.limits.memory}`]
              : []),
          ];
          return problems.length
            ? [{ resource: `${ref(w, w.kind ?? 'Deployment')}/${c.name}`, detail: problems.join('; ') }]
            : [];
        }),
      ),
      'cluster',
    ),
    control(
      {
        id: 'probes',
        title: 'readiness and liveness probes',
        severity: 'warning',
        remedy: 'Add a readinessProbe (traffic only when ready) and a livenessProbe (restart when stuck).',
      },
      state.workloads.flatMap((w) =>
        (w.spec?.template?.spec?.containers ?? [])
          .filter((c: Obj) => !c.readinessProbe || !c.livenessProbe)
          .map((c: Obj) => ({
            resource: `${ref(w, w.kind ?? 'Deployment')}/${c.name}`,
            detail: [!c.readinessProbe && 'no readinessProbe', !c.livenessProbe && 'no livenessProbe']
              .filter(Boolean)
              .join(', '),
          })),
      ),
      'cluster',
    ),
    control(
      {
        id: 'hpa-min-replicas',
        title: 'a HorizontalPodAutoscaler with minReplicas ≥ 2',
        severity: 'warning',
        remedy: "Add an autoscaling/v2 HPA: minReplicas 2, maxReplicas 10, CPU utilisation 70 % (the runbook's).",
      },
      deployments
        .filter((d) => !hpaFor(d) || (hpaFor(d)!.spec?.minReplicas ?? 1) < 2)
        .map((d) => ({
          resource: ref(d, 'Deployment'),
          detail: hpaFor(d) ? `HPA minReplicas ${hpaFor(d)!.spec?.minReplicas ?? 1}` : 'no HPA',
        })),
      'cluster',
    ),
    control(
      {
        id: 'pdb',
        title: 'a PodDisruptionBudget covers each deployment',
        severity: 'warning',
        remedy: "Add a PodDisruptionBudget (minAvailable 1 or maxUnavailable 1) selecting the deployment's pods.",
      },
      deployments
        .filter(
          (d) =>
            !state.pdbs.some(
              (p) =>
                p.metadata?.namespace === d.metadata?.namespace &&
                selects(p.spec?.selector, d.spec?.template?.metadata?.labels),
            ),
        )
        .map((d) => ({ resource: ref(d, 'Deployment'), detail: 'no PodDisruptionBudget' })),
      'cluster',
    ),
    control(
      {
        id: 'replicas',
        title: 'at least 2 replicas',
        severity: 'warning',
        remedy:
          'Run at least 2 replicas (or let an HPA with minReplicas 2 do it) so one pod going away is not an outage.',
      },
      deployments
        .filter((d) => Math.max(d.spec?.replicas ?? 1, hpaFor(d)?.spec?.minReplicas ?? 0) < 2)
        .map((d) => ({ resource: ref(d, 'Deployment'), detail: `replicas ${d.spec?.replicas ?? 1}` })),
      'cluster',
    ),
  ];
}

export interface OperationsInput {
  backups: Array<{ job: string; lastSuccess: Date | null; targetMs: number }>;
  failingJobs: Array<{ job: string; failed: number; missed: number }>;
  destructive: Array<{ at: Date; actor: string; action: string; job: string | null }>;
  errorLogs: Array<{ service: string; errors: number }>;
  now: Date;
}

export function operationsControls(input: OperationsInput): Finding[] {
  const stale = input.backups.filter(
    (b) => !b.lastSuccess || input.now.getTime() - b.lastSuccess.getTime() > b.targetMs,
  );
  const reviewed: Finding = {
    severity: 'info',
    check: 'ops-destructive-actions',
    resource: 'opscron/audit-log',
    message: input.destructive.length
      ? `destructive actions reviewed: ${input.destructive.length} (${[...new Set(input.destructive.map((d) => d.actor))].join(', ')})`
      : 'destructive actions reviewed: none in the period',
    evidence: input.destructive,
  };
  return [
    control(
      {
        id: 'ops-backup-freshness',
        title: 'last successful backup within its target age',
        severity: 'critical',
        remedy: 'Run the backup now and find out why the schedule did not (opscron history <job>).',
      },
      stale.map((b) => ({
        resource: `job/${b.job}`,
        detail: b.lastSuccess ? `last success ${b.lastSuccess.toISOString()}` : 'never succeeded',
      })),
      'opscron',
    ),
    control(
      {
        id: 'ops-failing-jobs',
        title: 'no job failing or missing its schedule',
        severity: 'warning',
        remedy:
          'opscron history <job> shows the errors; missed runs mean opscron was down or the queue was unreachable.',
      },
      input.failingJobs
        .filter((j) => j.failed + j.missed > 0)
        .map((j) => ({ resource: `job/${j.job}`, detail: `${j.failed} failed, ${j.missed} missed` })),
      'opscron',
    ),
    reviewed,
    {
      severity: 'info',
      check: 'ops-error-log-volume',
      resource: 'logs',
      message: input.errorLogs.length
        ? `error-log volume: ${input.errorLogs.map((e) => `${e.service} ${e.errors}`).join(', ')}`
        : 'error-log volume: no log-analysis run recorded in the period',
      evidence: input.errorLogs,
    },
  ];
}
