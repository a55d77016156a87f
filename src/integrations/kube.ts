/**
 * The Kubernetes API through @kubernetes/client-node (1.x; 2.x needs undici 8, so Node 22.19+):
 * in-cluster service account, or a kubeconfig and context. Errors come back as one line
 * naming the call, the HTTP status and the API's own message. The client is loaded on
 * first use: it costs about 70 MiB, which an opscron without Kubernetes jobs never pays.
 * 1.x fetches through node-fetch 2, whose whatwg-url 5 loads Node's deprecated `punycode`
 * (DEP0040, printed on Node 22); package.json overrides it with whatwg-url 14, which
 * node-fetch uses only where Node has no global URL, i.e. never. Drop the override with 1.x.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError } from '../errors.js';

export interface Kube {
  core: K8s.CoreV1Api;
  apps: K8s.AppsV1Api;
  rbac: K8s.RbacAuthorizationV1Api;
  autoscaling: K8s.AutoscalingV2Api;
  policy: K8s.PolicyV1Api;
  batch: K8s.BatchV1Api;
  networking: K8s.NetworkingV1Api;
  metrics: K8s.Metrics;
  /** Request options that send a patch with this content type. */
  patchAs(strategy: PatchType): K8s.ConfigurationOptions;
  /** Where the connection points, for messages (never credentials). */
  server: string;
}

const clients = new WeakMap<object, Kube>();

/** The patch content types the API takes (client-node's PatchStrategy). */
export const PatchStrategy = {
  JsonPatch: 'application/json-patch+json',
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
} as const;
export type PatchType = (typeof PatchStrategy)[keyof typeof PatchStrategy];

export async function kubeFor(config: OpscronConfig, env: NodeJS.ProcessEnv = process.env): Promise<Kube> {
  const section = config.kubernetes;
  if (!section)
    throw new OpscronError(
      'OPSCRON_NO_KUBERNETES',
      'this job needs the kubernetes section of the configuration (kubeconfig and context, or inCluster: true)',
    );
  const cached = clients.get(section);
  if (cached) return cached;
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const inCluster =
    section.inCluster ?? (!section.kubeconfig && !env.KUBECONFIG && Boolean(env.KUBERNETES_SERVICE_HOST));
  try {
    if (inCluster) kc.loadFromCluster();
    else kc.loadFromFile(section.kubeconfig ?? env.KUBECONFIG ?? join(homedir(), '.kube', 'config'));
    if (section.context) kc.setCurrentContext(section.context);
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_KUBECONFIG',
      `cannot load the Kubernetes configuration: ${(error as Error).message}`,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new OpscronError('OPSCRON_KUBECONFIG', `kubeconfig context "${kc.getCurrentContext()}" has no cluster`);
  const kube = {
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    autoscaling: kc.makeApiClient(k8s.AutoscalingV2Api),
    policy: kc.makeApiClient(k8s.PolicyV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    metrics: new k8s.Metrics(kc),
    server: cluster.server,
    patchAs: (strategy: PatchType) => k8s.setHeaderOptions('Content-Type', strategy),
  };
  clients.set(section, kube);
  return kube;
}

/** Calls the API and turns its failures into one clear line. */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as { code?: number; body?: unknown; message?: string };
    let detail = e.message ?? String(error);
    if (typeof e.code === 'number') {
      let body: { message?: string; reason?: string } | undefined;
      try {
        body = typeof e.body === 'string' ? JSON.parse(e.body) : (e.body as typeof body);
      } catch {
        body = undefined;
      }
      detail = `${e.code}${body?.reason ? ` ${body.reason}` : ''}${body?.message ? `: ${body.message}` : ''}`;
    }
    throw new KubeError(`kubernetes ${what}: ${detail}`, typeof e.code === 'number' ? e.code : null);
  }
}

/** An answer of the Kubernetes API: another attempt helps only when it failed on the server's side or not at all. */
export class KubeError extends OpscronError {
  constructor(
    message: string,
    readonly httpStatus: number | null,
  ) {
    super('OPSCRON_KUBE', message, { retryable: httpStatus === null || httpStatus === 429 || httpStatus >= 500 });
  }
}
