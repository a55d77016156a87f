/**
 * A STAND-IN for the Kubernetes API server, because no real one can run on this machine.
 * The real @kubernetes/client-node talks to it over HTTP with a bearer token, exactly as it
 * would to a cluster. It follows the API's semantics for the endpoints opscron uses:
 *
 * - paths: /api/v1/namespaces/{ns}/pods, /api/v1/namespaces/{ns}/pods/{name}/log (tailLines,
 *   previous, sinceSeconds; limitBytes ignored; 400 for a container waiting to start, as the kubelet), /apis/apps/v1/namespaces/{ns}/deployments/{name},
 *   /apis/apps/v1/namespaces/{ns}/replicasets, /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods,
 *   and for any object given to `add()` its collection and item paths (RBAC, StatefulSets,
 *   DaemonSets, Jobs, CronJobs, ConfigMaps, Secrets, ServiceAccounts, HPAs, PDBs, NetworkPolicies): list, get, create (POST,
 *   409 if it exists), replace (PUT, 409 on a stale resourceVersion) and merge patch;
 *   list kinds (PodList, ...) with metadata.resourceVersion; `labelSelector` with equality terms;
 *   404 and 415 as `Status` objects; 401 without the token.
 * - resourceVersion: one counter for the whole store, bumped on every write; a patch that
 *   carries metadata.resourceVersion must match it (409 Conflict otherwise).
 * - PATCH by content type: application/strategic-merge-patch+json, application/merge-patch+json
 *   (RFC 7386) and application/json-patch+json (RFC 6902: add, replace, remove, test).
 * - Deployments: metadata.generation bumps when the spec changes; a pod template change
 *   makes the deployment controller's move — a new ReplicaSet with the next revision, or an
 *   old ReplicaSet with an equal template brought back as the next revision (rollout undo);
 *   status (observedGeneration, updated/ready/available replicas, Progressing and Available
 *   conditions) changes when the test calls `rollOut()` or `stall()`, or by itself after
 *   `autoRolloutMs`.
 *
 * Limits, so nobody mistakes it for a cluster: no watch, no pagination (`continue`), no
 * field selectors or set-based label selectors, strategic merge treats lists as atomic
 * (the real one merges lists of containers by name — opscron only patches maps), no
 * admission, no RBAC beyond "the token is right", no pods created or deleted by rollouts.
 * The jobs' logic is also unit-tested on recorded API objects.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

type Obj = Record<string, any>;

export class FakeKube {
  readonly token = 'fake-kube-token-7f3a9c';
  /** What the client sent: method, path and content type. */
  readonly requests: Array<{ method: string; path: string; contentType?: string; query?: string }> = [];
  autoRolloutMs: number | null = null;
  private server: Server | null = null;
  private rv = 1000;
  private readonly pods = new Map<string, Obj>();
  private readonly podMetrics = new Map<string, Obj>();
  private readonly logs = new Map<string, string[]>();
  private readonly previousLogs = new Map<string, string[]>();
  /** The log clock `sinceSeconds` is judged against. */
  logNow: () => Date = () => new Date();
  private readonly deployments = new Map<string, Obj>();
  private readonly replicaSets = new Map<string, Obj>();
  /** Every other object, by collection path, then name. */
  private readonly collections = new Map<string, Map<string, Obj>>();
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** A kubeconfig for this server (plain HTTP needs insecure-skip-tls-verify with client-node 1.x). */
  kubeconfig(dir: string, context = 'fake'): string {
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster:
      server: http://127.0.0.1:${this.port}
      insecure-skip-tls-verify: true
users:
  - name: opscron
    user:
      token: ${this.token}
contexts:
  - name: ${context}
    context: { cluster: fake, user: opscron, namespace: default }
current-context: ${context}
`,
    );
    return file;
  }

  // ---- fixtures -----------------------------------------------------------------------

  /** Adds any object of the kinds in COLLECTIONS (a Deployment goes where rollouts see it). */
  add(obj: Obj): Obj {
    const namespace = obj.metadata?.namespace;
    if (obj.kind === 'Deployment') {
      const d = {
        ...structuredClone(obj),
        metadata: {
          uid: `uid-deploy-${obj.metadata.name}`,
          generation: 1,
          annotations: {},
          ...structuredClone(obj.metadata),
          resourceVersion: String(++this.rv),
        },
        status: obj.status ?? {},
      };
      this.deployments.set(`${namespace}/${obj.metadata.name}`, d);
      return d;
    }
    const path = collectionPath(obj.kind, namespace);
    const stored = {
      ...structuredClone(obj),
      metadata: {
        uid: `uid-${obj.kind}-${obj.metadata.name}`,
        ...structuredClone(obj.metadata),
        resourceVersion: String(++this.rv),
      },
    };
    if (!this.collections.has(path)) this.collections.set(path, new Map());
    this.collections.get(path)!.set(obj.metadata.name, stored);
    return stored;
  }

  remove(kind: string, namespace: string | undefined, name: string): void {
    this.collections.get(collectionPath(kind, namespace))?.delete(name);
  }

  get(kind: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.collections.get(collectionPath(kind, namespace))?.get(name);
  }

  addPod(namespace: string, pod: Obj, usage?: Record<string, { cpu: string; memory: string }>): void {
    const name = pod.metadata.name;
    this.pods.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Pod',
      ...pod,
      metadata: { namespace, uid: `uid-${name}`, ...pod.metadata, resourceVersion: String(++this.rv) },
    });
    if (usage) {
      this.podMetrics.set(`${namespace}/${name}`, {
        apiVersion: 'metrics.k8s.io/v1beta1',
        kind: 'PodMetrics',
        metadata: { name, namespace, labels: pod.metadata.labels ?? {} },
        timestamp: new Date().toISOString(),
        window: '30s',
        containers: Object.entries(usage).map(([container, u]) => ({ name: container, usage: u })),
      });
    }
  }

  /** What `kubectl logs` returns for a pod's container (default: its first). */
  setLogs(namespace: string, pod: string, lines: string[], container?: string): void {
    this.logs.set(`${namespace}/${pod}/${container ?? ''}`, lines);
  }

  /** What `kubectl logs --previous` returns: the container instance before its last restart (none set: 400, as the kubelet answers). */
  setPreviousLogs(namespace: string, pod: string, lines: string[], container?: string): void {
    this.previousLogs.set(`${namespace}/${pod}/${container ?? ''}`, lines);
  }

  /**
   * `sinceSeconds`: the kubelet filters by the time it received each line; here a line's own
   * leading RFC 3339 timestamp stands for it (lines without one are always returned), judged
   * against `logNow()` so tests can fix the clock.
   */
  private sinceFilter(lines: string[], sinceSeconds: string | null): string[] {
    if (!sinceSeconds) return lines;
    const from = this.logNow().getTime() - Number(sinceSeconds) * 1000;
    return lines.filter((line) => {
      const at = /^\[?(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))/.exec(line);
      return !at || Date.parse(at[1]!) >= from;
    });
  }

  /** A deployment at revision 1, rolled out, with its ReplicaSet. */
  addDeployment(
    namespace: string,
    name: string,
    options: { replicas?: number; image: string; labels?: Record<string, string> },
  ): Obj {
    const labels = options.labels ?? { app: name };
    const deployment: Obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace,
        uid: `uid-deploy-${name}`,
        generation: 1,
        annotations: {},
        labels,
        resourceVersion: String(++this.rv),
      },
      spec: {
        replicas: options.replicas ?? 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels: { ...labels } }, spec: { containers: [{ name, image: options.image }] } },
        progressDeadlineSeconds: 600,
      },
      status: {},
    };
    this.deployments.set(`${namespace}/${name}`, deployment);
    this.reconcileTemplate(deployment);
    this.rollOut(namespace, name);
    return deployment;
  }

  deployment(namespace: string, name: string): Obj {
    return this.deployments.get(`${namespace}/${name}`)!;
  }

  replicaSetsOf(namespace: string, name: string): Obj[] {
    const uid = this.deployment(namespace, name).metadata.uid;
    return [...this.replicaSets.values()].filter(
      (rs) => rs.metadata.namespace === namespace && rs.metadata.ownerReferences[0].uid === uid,
    );
  }

  /** The deployment controller finishing the rollout: every replica updated and available. */
  rollOut(namespace: string, name: string): void {
    const d = this.deployment(namespace, name);
    const n = d.spec.replicas;
    d.status = {
      observedGeneration: d.metadata.generation,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${d.metadata.annotations['opscron.test/rs']}" has successfully progressed.`,
        },
      ],
    };
    d.metadata.resourceVersion = String(++this.rv);
  }

  /** The new pods never become ready and the progress deadline passes. */
  stall(namespace: string, name: string): void {
    const d = this.deployment(namespace, name);
    const n = d.spec.replicas;
    d.status = {
      observedGeneration: d.metadata.generation,
      replicas: n + 1,
      updatedReplicas: 1,
      readyReplicas: n,
      availableReplicas: n,
      unavailableReplicas: 1,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${d.metadata.annotations['opscron.test/rs']}" has timed out progressing.`,
        },
      ],
    };
    d.metadata.resourceVersion = String(++this.rv);
  }

  // ---- the API --------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      contentType: req.headers['content-type'],
      query: url.search,
    });
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    const body = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
    });
    const selector = url.searchParams.get('labelSelector');
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname))) {
      return this.list(res, 'PodList', 'v1', this.pods, m[1]!, selector);
    }
    if (req.method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname))) {
      const pod = this.pods.get(`${m[1]}/${m[2]}`);
      if (!pod) return this.status(res, 404, 'NotFound', `pods "${m[2]}" not found`);
      const container = url.searchParams.get('container') ?? pod.spec?.containers?.[0]?.name ?? '';
      const previous = url.searchParams.get('previous') === 'true';
      const from = previous ? this.previousLogs : this.logs;
      // As the kubelet answers for a container that never started (Pending, ImagePullBackOff).
      const waiting = pod.status?.containerStatuses?.find((c: Obj) => c.name === container)?.state?.waiting;
      if (!previous && (waiting || pod.status?.phase === 'Pending'))
        return this.status(
          res,
          400,
          'BadRequest',
          `container "${container}" in pod "${m[2]}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`,
        );
      if (previous && !from.has(`${m[1]}/${m[2]}/${container}`) && !from.has(`${m[1]}/${m[2]}/`))
        return this.status(
          res,
          400,
          'BadRequest',
          `previous terminated container "${container}" in pod "${m[2]}" not found`,
        );
      const lines = this.sinceFilter(
        from.get(`${m[1]}/${m[2]}/${container}`) ?? from.get(`${m[1]}/${m[2]}/`) ?? [],
        url.searchParams.get('sinceSeconds'),
      );
      const tail = url.searchParams.get('tailLines');
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`${(tail ? lines.slice(-Number(tail)) : lines).join('\n')}\n`);
    }
    if (
      req.method === 'GET' &&
      (m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname))
    ) {
      return this.list(res, 'PodMetricsList', 'metrics.k8s.io/v1beta1', this.podMetrics, m[1]!, selector);
    }
    if (req.method === 'GET' && (m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/.exec(url.pathname))) {
      return this.list(res, 'ReplicaSetList', 'apps/v1', this.replicaSets, m[1]!, selector);
    }
    if (req.method === 'GET' && (m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments$/.exec(url.pathname))) {
      return this.list(res, 'DeploymentList', 'apps/v1', this.deployments, m[1]!, selector);
    }
    const generic = this.generic(
      req.method ?? 'GET',
      url.pathname,
      req.headers['content-type'] ?? '',
      body,
      selector,
      res,
    );
    if (generic) return;
    if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(url.pathname))) {
      const d = this.deployments.get(`${m[1]}/${m[2]}`);
      if (!d) return this.status(res, 404, 'NotFound', `deployments.apps "${m[2]}" not found`);
      if (req.method === 'GET') return this.json(res, 200, d);
      if (req.method === 'PATCH') return this.patchDeployment(res, d, req.headers['content-type'] ?? '', body);
    }
    return this.status(
      res,
      404,
      'NotFound',
      `the server could not find the requested resource (${req.method} ${url.pathname})`,
    );
  }

  /** Collections of add()ed objects: list, get, create, replace, merge patch. Returns false if the path is not one. */
  private generic(
    method: string,
    path: string,
    contentType: string,
    body: string,
    selector: string | null,
    res: ServerResponse,
  ): boolean {
    const known = [...COLLECTIONS.values()].find((c) =>
      new RegExp(`^${c.base.replace('{ns}', '[^/]+')}(/[^/]+)?$`).test(path),
    );
    if (!known) return false;
    const item = new RegExp(`^(${known.base.replace('{ns}', '[^/]+')})/([^/]+)$`).exec(path);
    const collection = item ? item[1]! : path;
    const items = this.collections.get(collection) ?? new Map<string, Obj>();
    this.collections.set(collection, items);
    const kind = [...COLLECTIONS.entries()].find(([, c]) => c === known)![0];
    if (!item) {
      if (method === 'GET') {
        const terms = (selector ?? '')
          .split(',')
          .filter(Boolean)
          .map((t) => t.split('=') as [string, string]);
        this.json(res, 200, {
          apiVersion: known.apiVersion,
          kind: `${kind}List`,
          metadata: { resourceVersion: String(this.rv) },
          items: [...items.values()].filter((o) => terms.every(([k, v]) => (o.metadata.labels ?? {})[k] === v)),
        });
        return true;
      }
      if (method === 'POST') {
        const obj = JSON.parse(body);
        if (items.has(obj.metadata?.name)) {
          this.status(res, 409, 'AlreadyExists', `${known.plural} "${obj.metadata?.name}" already exists`);
          return true;
        }
        if (obj.metadata?.resourceVersion) {
          this.status(res, 400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
          return true;
        }
        const created = {
          ...obj,
          apiVersion: known.apiVersion,
          kind,
          metadata: {
            ...obj.metadata,
            uid: `uid-${kind}-${obj.metadata.name}-${this.rv}`,
            creationTimestamp: new Date().toISOString(),
            resourceVersion: String(++this.rv),
          },
        };
        items.set(obj.metadata.name, created);
        this.json(res, 201, created);
        return true;
      }
      this.status(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${path}`);
      return true;
    }
    const name = item[2]!;
    const current = items.get(name);
    if (!current) {
      this.status(res, 404, 'NotFound', `${known.plural} "${name}" not found`);
      return true;
    }
    if (method === 'GET') {
      this.json(res, 200, current);
      return true;
    }
    if (method === 'PUT') {
      const obj = JSON.parse(body);
      if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
        this.status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${known.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
        return true;
      }
      const replaced = {
        ...obj,
        apiVersion: known.apiVersion,
        kind,
        metadata: {
          ...obj.metadata,
          uid: current.metadata.uid,
          creationTimestamp: current.metadata.creationTimestamp,
          resourceVersion: String(++this.rv),
        },
      };
      items.set(name, replaced);
      this.json(res, 200, replaced);
      return true;
    }
    if (method === 'PATCH') {
      const type = contentType.split(';')[0]!.trim();
      if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
        this.status(res, 415, 'UnsupportedMediaType', `${type} is not supported for ${known.plural} here`);
        return true;
      }
      const patch = JSON.parse(body);
      if (patch?.metadata?.resourceVersion && patch.metadata.resourceVersion !== current.metadata.resourceVersion) {
        this.status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${known.plural} "${name}": the object has been modified`,
        );
        return true;
      }
      const next = mergePatch(structuredClone(current), patch);
      next.metadata.resourceVersion = String(++this.rv);
      items.set(name, next);
      this.json(res, 200, next);
      return true;
    }
    if (method === 'DELETE') {
      items.delete(name);
      this.json(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Success',
        details: { name, kind: known.plural },
      });
      return true;
    }
    this.status(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${path}`);
    return true;
  }

  private patchDeployment(res: ServerResponse, d: Obj, contentType: string, body: string): void {
    let patch: any;
    try {
      patch = JSON.parse(body);
    } catch {
      return this.status(res, 400, 'BadRequest', 'the body of the request was in an unknown format');
    }
    const type = contentType.split(';')[0]!.trim();
    let next: Obj;
    if (type === 'application/strategic-merge-patch+json' || type === 'application/merge-patch+json') {
      if (patch?.metadata?.resourceVersion && patch.metadata.resourceVersion !== d.metadata.resourceVersion) {
        return this.status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on deployments.apps "${d.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      next = mergePatch(structuredClone(d), patch);
    } else if (type === 'application/json-patch+json') {
      try {
        next = jsonPatch(structuredClone(d), patch);
      } catch (error) {
        return this.status(res, 422, 'Invalid', (error as Error).message);
      }
    } else {
      return this.status(
        res,
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
    }
    const specChanged = canonical(next.spec) !== canonical(d.spec);
    const templateChanged = canonical(next.spec.template) !== canonical(d.spec.template);
    Object.assign(d, { metadata: next.metadata, spec: next.spec });
    if (specChanged) d.metadata.generation += 1;
    d.metadata.resourceVersion = String(++this.rv);
    if (templateChanged) {
      this.reconcileTemplate(d);
      if (this.autoRolloutMs !== null)
        setTimeout(() => this.rollOut(d.metadata.namespace, d.metadata.name), this.autoRolloutMs);
    }
    this.json(res, 200, d);
  }

  /** The deployment controller: the ReplicaSet for the current template gets the next revision. */
  private reconcileTemplate(d: Obj): void {
    const mine = [...this.replicaSets.values()].filter((rs) => rs.metadata.ownerReferences[0].uid === d.metadata.uid);
    const revision =
      Math.max(0, ...mine.map((rs) => Number(rs.metadata.annotations['deployment.kubernetes.io/revision']))) + 1;
    const hash = createHash('sha256').update(canonical(d.spec.template)).digest('hex').slice(0, 10);
    let rs = mine.find((r) => {
      const t = structuredClone(r.spec.template);
      delete t.metadata.labels['pod-template-hash'];
      return canonical(t) === canonical(d.spec.template);
    });
    if (!rs) {
      rs = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: { ...d.spec.selector.matchLabels, 'pod-template-hash': hash },
          annotations: {},
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true },
          ],
        },
        spec: {
          replicas: d.spec.replicas,
          selector: { matchLabels: { ...d.spec.selector.matchLabels, 'pod-template-hash': hash } },
          template: {
            ...structuredClone(d.spec.template),
            metadata: {
              ...structuredClone(d.spec.template.metadata),
              labels: { ...d.spec.template.metadata.labels, 'pod-template-hash': hash },
            },
          },
        },
      };
      this.replicaSets.set(`${d.metadata.namespace}/${rs.metadata.name}`, rs);
    }
    rs.metadata.annotations['deployment.kubernetes.io/revision'] = String(revision);
    rs.metadata.resourceVersion = String(++this.rv);
    d.metadata.annotations = {
      ...d.metadata.annotations,
      'deployment.kubernetes.io/revision': String(revision),
      'opscron.test/rs': rs.metadata.name,
    };
  }

  private list(
    res: ServerResponse,
    kind: string,
    apiVersion: string,
    from: Map<string, Obj>,
    namespace: string,
    selector: string | null,
  ): void {
    const terms = (selector ?? '')
      .split(',')
      .filter(Boolean)
      .map((t) => t.split('=') as [string, string]);
    const items = [...from.entries()]
      .filter(([key]) => key.startsWith(`${namespace}/`))
      .map(([, o]) => o)
      .filter((o) => terms.every(([k, v]) => (o.metadata.labels ?? {})[k] === v));
    this.json(res, 200, { apiVersion, kind, metadata: { resourceVersion: String(this.rv) }, items });
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }
}

/** The collections `add()` and the generic routes know: kind → API path of its collection. */
const COLLECTIONS = new Map<string, { base: string; apiVersion: string; plural: string }>([
  [
    'ClusterRoleBinding',
    {
      base: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      plural: 'clusterrolebindings.rbac.authorization.k8s.io',
    },
  ],
  [
    'ClusterRole',
    {
      base: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      plural: 'clusterroles.rbac.authorization.k8s.io',
    },
  ],
  [
    'RoleBinding',
    {
      base: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      plural: 'rolebindings.rbac.authorization.k8s.io',
    },
  ],
  [
    'Role',
    {
      base: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      plural: 'roles.rbac.authorization.k8s.io',
    },
  ],
  [
    'StatefulSet',
    { base: '/apis/apps/v1/namespaces/{ns}/statefulsets', apiVersion: 'apps/v1', plural: 'statefulsets.apps' },
  ],
  ['DaemonSet', { base: '/apis/apps/v1/namespaces/{ns}/daemonsets', apiVersion: 'apps/v1', plural: 'daemonsets.apps' }],
  ['ConfigMap', { base: '/api/v1/namespaces/{ns}/configmaps', apiVersion: 'v1', plural: 'configmaps' }],
  ['Secret', { base: '/api/v1/namespaces/{ns}/secrets', apiVersion: 'v1', plural: 'secrets' }],
  ['ServiceAccount', { base: '/api/v1/namespaces/{ns}/serviceaccounts', apiVersion: 'v1', plural: 'serviceaccounts' }],
  ['Service', { base: '/api/v1/namespaces/{ns}/services', apiVersion: 'v1', plural: 'services' }],
  [
    'PersistentVolumeClaim',
    { base: '/api/v1/namespaces/{ns}/persistentvolumeclaims', apiVersion: 'v1', plural: 'persistentvolumeclaims' },
  ],
  [
    'HorizontalPodAutoscaler',
    {
      base: '/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers',
      apiVersion: 'autoscaling/v2',
      plural: 'horizontalpodautoscalers.autoscaling',
    },
  ],
  [
    'PodDisruptionBudget',
    {
      base: '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets',
      apiVersion: 'policy/v1',
      plural: 'poddisruptionbudgets.policy',
    },
  ],
  ['Job', { base: '/apis/batch/v1/namespaces/{ns}/jobs', apiVersion: 'batch/v1', plural: 'jobs.batch' }],
  ['CronJob', { base: '/apis/batch/v1/namespaces/{ns}/cronjobs', apiVersion: 'batch/v1', plural: 'cronjobs.batch' }],
  [
    'NetworkPolicy',
    {
      base: '/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies',
      apiVersion: 'networking.k8s.io/v1',
      plural: 'networkpolicies.networking.k8s.io',
    },
  ],
]);

function collectionPath(kind: string, namespace: string | undefined): string {
  const c = COLLECTIONS.get(kind);
  if (!c) throw new Error(`the fake API server does not know kind ${kind}`);
  return c.base.replace('{ns}', namespace ?? 'default');
}

/** JSON with object keys sorted: equal objects compare equal whatever their key order, as the API server's semantic equality. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** RFC 7386 JSON merge patch (null deletes); strategic merge on maps behaves the same. */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, replace, remove, test. */
function jsonPatch(doc: any, ops: Array<{ op: string; path: string; value?: unknown }>): any {
  if (!Array.isArray(ops)) throw new Error('a JSON patch must be an array of operations');
  for (const { op, path, value } of ops) {
    const parts = path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    const parent = parts.reduce((o, p) => (o == null ? o : o[p]), doc);
    if (parent == null) throw new Error(`path ${path}: parent does not exist`);
    if (op === 'add' || op === 'replace') {
      if (op === 'replace' && !(last in parent)) throw new Error(`path ${path}: nothing to replace`);
      parent[last] = structuredClone(value);
    } else if (op === 'remove') {
      if (!(last in parent)) throw new Error(`path ${path}: nothing to remove`);
      delete parent[last];
    } else if (op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(value)) throw new Error(`path ${path}: test failed`);
    } else throw new Error(`op "${op}" is not supported`);
  }
  return doc;
}
