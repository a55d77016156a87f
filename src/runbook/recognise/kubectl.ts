/** kubectl (pure): top, rollout, logs, configmap patches, config backups and access audits. */
import { kubeName, literal, slug } from '../targets.js';
import type { Proposal, Recognition, ShellCommand } from '../types.js';
import { count, option, positionals } from './args.js';

const VALUED = ['-n', '--namespace', '-l', '--selector', '-o', '--output', '-p', '--patch', '-c', '--container'];
const VALUED_ALL = [...VALUED, '--tail', '--since', '--type', '--to-revision', '--context', '--as', '--field-selector'];

/** Recognises a kubectl command; undefined when it is not kubectl. */
export function recogniseKubectl(command: ShellCommand): Recognition | undefined {
  const [program, ...args] = command.argv;
  if (program !== 'kubectl' && program !== 'k') return undefined;
  const words = positionals(args, VALUED_ALL);
  const namespace = kubeName(option(args, ['-n', '--namespace']));
  const selector = option(args, ['-l', '--selector']);
  switch (words[0]) {
    case 'top':
      return top(words, namespace, selector);
    case 'rollout':
      return rollout(words, args, namespace);
    case 'logs':
      return logs(words, args, namespace, selector, command.pipedTo);
    case 'patch':
      return patch(words, args, namespace);
    case 'get':
      return get(words, args, namespace);
    case 'auth':
      return audit(['access'], 'who may do what (kubectl auth can-i)');
    default:
      return { unmapped: reasonFor(words[0]) };
  }
}

function reasonFor(verb: string | undefined): string {
  switch (verb) {
    case 'apply':
    case 'create':
    case 'delete':
    case 'edit':
    case 'replace':
    case 'set':
      return `kubectl ${verb} changes the cluster by hand; no job does that (deploy it with your pipeline)`;
    case 'scale':
      return 'scaling by hand: an HPA does this; audit-review checks one exists';
    case 'describe':
    case 'exec':
    case 'port-forward':
    case 'cp':
    case 'debug':
    case 'attach':
      return `kubectl ${verb} is interactive investigation, not a check to schedule`;
    default:
      return `kubectl ${verb ?? ''}: no job type automates it`.trim();
  }
}

function scopeName(namespace: string | undefined, selector: string | undefined): string {
  const app = selector && /^app(\.kubernetes\.io\/name)?=([a-z0-9-]+)$/.exec(selector)?.[2];
  return slug([namespace, app].filter(Boolean).join('-') || 'cluster');
}

function top(words: string[], namespace: string | undefined, selector: string | undefined): Recognition {
  if (!/^(pods?|po)$/.test(words[1] ?? ''))
    return { unmapped: `kubectl top ${words[1] ?? ''}: resource-usage judges pods only` };
  const params: Record<string, unknown> = {};
  if (namespace) params.namespace = namespace;
  if (selector && /^[a-z0-9A-Z._/-]+=[a-z0-9A-Z._-]+(,[a-z0-9A-Z._/-]+=[a-z0-9A-Z._-]+)*$/.test(selector))
    params.labelSelector = selector;
  return { proposals: [{ id: `resources-${scopeName(namespace, selector)}`, type: 'resource-usage', params }] };
}

/** `deployment/x`, `deploy/x`, `deployments x`. */
function deploymentName(words: string[], at: number): string | undefined {
  const word = words[at] ?? '';
  const m = /^(deployment|deployments|deploy)(?:\.apps)?\/(.+)$/.exec(word);
  if (m) return kubeName(m[2]);
  if (/^(deployment|deployments|deploy)$/.test(word)) return kubeName(words[at + 1]);
  return undefined;
}

function rollout(words: string[], args: string[], namespace: string | undefined): Recognition {
  const action = words[1];
  const deployment = deploymentName(words, 2);
  if (!deployment)
    return { unmapped: `kubectl rollout ${action ?? ''}: only deployments are rolled (no deployment named)` };
  if (!namespace) return { unmapped: 'kubectl rollout without -n: say which namespace the deployment is in' };
  const base = { namespace, deployment };
  const service = [{ name: deployment, origin: '', namespace, deployment }];
  switch (action) {
    case 'status':
      return { proposals: [{ id: `${deployment}-rollout`, type: 'rollout', params: base, services: service }] };
    case 'restart':
    case 'undo': {
      const params: Record<string, unknown> = { ...base, action };
      const revision = count(option(args, ['--to-revision']));
      if (action === 'undo' && revision) params.toRevision = revision;
      return {
        proposals: [
          { id: `${deployment}-rollout-${action}`, type: 'rollout', params, destructive: true, services: service },
        ],
      };
    }
    default:
      return { unmapped: `kubectl rollout ${action ?? ''}: only status, restart and undo are jobs` };
  }
}

const SIMPLE_PATTERN = /^[A-Za-z0-9 _:.|-]{1,200}$/;

function logs(
  words: string[],
  args: string[],
  namespace: string | undefined,
  selector: string | undefined,
  pipedTo: string[][],
): Recognition {
  let labelSelector = selector;
  const deployment = deploymentName(words, 1);
  if (!labelSelector && deployment) labelSelector = `app=${deployment}`;
  if (!labelSelector)
    return {
      unmapped: "a pod's name changes with every rollout: give a label selector (-l app=…) to analyse its logs",
    };
  if (!namespace) return { unmapped: 'kubectl logs without -n: say which namespace the pods are in' };
  const params: Record<string, unknown> = { namespace, labelSelector: literal(labelSelector) };
  const tail = count(option(args, ['--tail']));
  if (tail) params.tail = tail;
  const grep = pipedTo.find((argv) => argv[0] === 'grep' || argv[0] === 'egrep');
  const pattern = grep?.slice(1).find((w) => !w.startsWith('-'));
  if (pattern && SIMPLE_PATTERN.test(pattern))
    params.errorPattern = grep!.some((w) => /^-[a-zA-Z]*i/.test(w)) ? `(?i)${pattern}` : pattern;
  return {
    proposals: [
      {
        id: `logs-${scopeName(namespace, labelSelector)}`,
        type: 'log-analysis',
        params,
        note: deployment && !selector ? `pods taken as those labelled app=${deployment}: check the label` : undefined,
      },
    ],
  };
}

function patch(words: string[], args: string[], namespace: string | undefined): Recognition {
  const configMap =
    /^(configmap|configmaps|cm)\/(.+)$/.exec(words[1] ?? '')?.[2] ??
    (/^(configmap|configmaps|cm)$/.test(words[1] ?? '') ? words[2] : undefined);
  if (!configMap || !kubeName(configMap))
    return { unmapped: 'kubectl patch of something other than a ConfigMap: no job patches it' };
  let data: unknown;
  try {
    data = (JSON.parse(option(args, ['-p', '--patch']) ?? '') as { data?: unknown }).data;
  } catch {
    data = undefined;
  }
  const entry =
    data && typeof data === 'object'
      ? Object.entries(data).find(([k]) => /log[_-]?level|verbosity|debug/i.test(k))
      : undefined;
  if (
    !entry ||
    typeof entry[1] !== 'string' ||
    !/^[A-Za-z0-9_.-]{1,40}$/.test(entry[1]) ||
    !/^[A-Za-z0-9_.-]{1,100}$/.test(entry[0])
  )
    return { unmapped: 'patches ConfigMap data other than a log level: no job makes arbitrary patches' };
  const params: Record<string, unknown> = { configMap, key: entry[0], level: entry[1] };
  if (namespace) params.namespace = namespace;
  return {
    proposals: [
      {
        id: `${slug(configMap)}-debug-logging`,
        type: 'debug-logging',
        params,
        destructive: true,
        note: `sets ${entry[0]}=${entry[1]} and puts the old value back after ttl (30m)`,
      },
    ],
  };
}

function get(words: string[], args: string[], namespace: string | undefined): Recognition {
  const kinds = (words[1] ?? '').split(',');
  const output = option(args, ['-o', '--output']) ?? '';
  const wanted = new Set<string>();
  for (const kind of kinds) {
    if (/^(configmaps?|cm)$/.test(kind)) wanted.add('configmaps');
    if (/^secrets?$/.test(kind)) wanted.add('secrets');
  }
  if (wanted.size && /^(yaml|json)$/.test(output)) {
    const params: Record<string, unknown> = { kinds: [...wanted].sort() };
    if (namespace) params.namespaces = [namespace];
    return { proposals: [{ id: `config-backup-${slug(namespace ?? 'cluster')}`, type: 'config-backup', params }] };
  }
  if (kinds.some((k) => /^(clusterrolebindings?|rolebindings?|clusterroles?|roles?|serviceaccounts?|sa)$/.test(k)))
    return audit(['access'], 'RBAC bindings and roles');
  if (kinds.some((k) => /^(hpa|horizontalpodautoscalers?|pdb|poddisruptionbudgets?)$/.test(k)))
    return audit(['reliability'], 'HPAs and PodDisruptionBudgets');
  if (kinds.some((k) => /^(pods?|po)$/.test(k)) && /securityContext|privileged/.test(output))
    return audit(['security'], 'pod security settings');
  return { unmapped: `kubectl get ${words[1] ?? ''} lists objects; no job judges that listing` };
}

function audit(sections: string[], what: string): Recognition {
  const proposal: Proposal = {
    id: 'audit-review',
    type: 'audit-review',
    params: { sections },
    note: `reviews ${what}`,
  };
  return { proposals: [proposal] };
}
