/**
 * Polaris' per-container checks beyond the security context: host ports, seccomp, the
 * image reference (pinned?) and its pull policy (does every node run the same image?).
 */
import type { Finding } from '../../model.js';
import type { PlacedContainer } from './containers.js';
import { control } from './control.js';

/** An image reference split as the runtime reads it: a registry's port (host:5000/app) is not a tag. */
function imageRef(image: string): { digest: boolean; tag: string | null } {
  const last = image.split('/').pop() ?? image;
  if (last.includes('@')) return { digest: true, tag: null };
  const colon = last.lastIndexOf(':');
  return { digest: false, tag: colon >= 0 && colon < last.length - 1 ? last.slice(colon + 1) : null };
}

/** What is wrong with an image reference, or null: a digest pins it, so does any tag but latest. */
export function unpinned(image: string | undefined): 'no image' | 'no tag' | ':latest' | null {
  if (!image) return 'no image';
  const { digest, tag } = imageRef(image);
  if (digest) return null;
  return !tag ? 'no tag' : tag === 'latest' ? ':latest' : null;
}

/**
 * A tag a registry moves on purpose: none (latest), or one without a digit — latest, stable,
 * main, edge. A version tag (1.27, v2.4.1, 2024-05-01) can be re-pushed too, but is not meant to be.
 */
const mutableTag = (image: string): string | null => {
  const { digest, tag } = imageRef(image);
  if (digest) return null;
  return !tag ? 'no tag (latest)' : /\d/.test(tag) ? null : `:${tag}`;
};

/** Kubernetes' default: Always for :latest or no tag, IfNotPresent otherwise. */
const pullPolicyOf = (x: PlacedContainer, image: string): string => {
  const { digest, tag } = imageRef(image);
  return x.c.imagePullPolicy ?? (!digest && (!tag || tag === 'latest') ? 'Always' : 'IfNotPresent');
};

export const imageTag = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-image-tag',
      title: 'images pinned to a tag other than latest',
      severity: 'warning',
      remedy: 'Pin the image to a version tag or digest, so a restart cannot change what runs.',
    },
    containers.flatMap((x) => {
      const problem = unpinned(x.c.image);
      if (!problem) return [];
      return [{ resource: x.at, detail: problem === 'no image' ? 'no image set' : `${x.c.image}: ${problem}` }];
    }),
    'cluster',
  );

/** Polaris' pullPolicyNotAlways, where it matters: a moving tag pulled once per node lets nodes run different images. */
export const pullPolicy = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-pull-policy',
      title: 'images with a moving tag pulled Always',
      severity: 'warning',
      remedy:
        'Pin the image to a version or digest; until then set imagePullPolicy: Always so every node runs the image the tag names now.',
    },
    containers.flatMap((x) => {
      const image = x.c.image ?? '';
      const tag = image ? mutableTag(image) : null;
      const policy = image ? pullPolicyOf(x, image) : 'Always';
      return tag && policy !== 'Always'
        ? [{ resource: x.at, detail: `${image}: imagePullPolicy ${policy} with ${tag}` }]
        : [];
    }),
    'cluster',
  );

export const hostPort = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-host-port',
      title: 'no host ports',
      severity: 'warning',
      remedy:
        'Remove ports[].hostPort: it ties the pod to one pod per node and exposes it on the node; use a Service instead.',
    },
    containers.flatMap((x) =>
      (x.c.ports ?? [])
        .filter((p) => Number(p.hostPort) > 0)
        .map((p) => ({ resource: x.at, detail: `hostPort ${p.hostPort} (container port ${p.containerPort})` })),
    ),
    'cluster',
  );

/** The container's seccomp profile, else the pod's: RuntimeDefault or a Localhost profile confines it. */
export const seccomp = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-seccomp',
      title: 'seccomp profile RuntimeDefault or Localhost',
      severity: 'warning',
      remedy:
        'Set securityContext.seccompProfile: {type: RuntimeDefault} on the pod (or a Localhost profile) so the container cannot make every system call.',
    },
    containers.flatMap((x) => {
      const type = x.c.securityContext?.seccompProfile?.type ?? x.spec.securityContext?.seccompProfile?.type;
      return type === 'RuntimeDefault' || type === 'Localhost'
        ? []
        : [{ resource: x.at, detail: type ? `seccomp ${type}` : 'no seccomp profile' }];
    }),
    'cluster',
  );
