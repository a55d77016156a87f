/**
 * Where reports and backups are kept: files (the embedded default: `reports.path` and
 * `backups.path`) or one S3-compatible bucket, reports under `<prefix>reports/` and backups
 * under `<prefix>backups/`. Credentials are never part of the configuration: the AWS SDK's
 * default chain finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from a Secret, a web
 * identity token (EKS IRSA), EKS Pod Identity, the instance's role).
 */
import { z } from 'zod';

const MIB = 2 ** 20;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^([A-Za-z0-9][A-Za-z0-9._-]*\/)*$/;
const S3_ONLY = [
  'bucket',
  'prefix',
  'region',
  'endpoint',
  'forcePathStyle',
  'serverSideEncryption',
  'kmsKeyId',
  'partSizeMiB',
  'queueSize',
] as const;
/** Where credentials go instead: a key named for one is refused with this (its value is never shown). */
const credentialsRefused = z
  .never({
    error:
      'credentials are never read from the config file: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (from a Secret), or give the pod an identity (EKS IRSA or Pod Identity)',
  })
  .optional();

const s3Checks = (s: z.output<typeof storageFields>, ctx: z.RefinementCtx) => {
  if (s.kind === 'filesystem') {
    for (const key of S3_ONLY)
      if (s[key] !== undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: 'only with kind: s3 (kind is filesystem)' });
    return;
  }
  if (!s.bucket)
    ctx.addIssue({
      code: 'custom',
      path: ['bucket'],
      message: 'required with kind: s3 (3-63 characters of a-z, 0-9, . and -)',
    });
  if (s.kmsKeyId && s.serverSideEncryption !== 'aws:kms')
    ctx.addIssue({
      code: 'custom',
      path: ['kmsKeyId'],
      message: `only with serverSideEncryption: aws:kms (it is ${s.serverSideEncryption ?? 'not set'})`,
    });
};

const storageFields = z.strictObject({
  /** filesystem: reports.path and backups.path; s3: the bucket below. */
  kind: z.enum(['filesystem', 's3']).default('filesystem'),
  bucket: z
    .string()
    .regex(BUCKET, {
      error:
        'must be an S3 bucket name: 3-63 characters of a-z, 0-9, . and -, starting and ending with a letter or digit',
    })
    .optional(),
  /** Keys start with this (e.g. `prod/`): empty, or path segments each ending in /. */
  prefix: z
    .string()
    .max(512)
    .regex(PREFIX, { error: 'must be empty or path segments of letters, digits, . _ - each ending in /, e.g. prod/' })
    .optional(),
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,50}$/, { error: 'must be a region name such as eu-west-1' })
    .optional(),
  /** An S3-compatible service (MinIO, Ceph, R2, ...): its https:// URL. Default: AWS. */
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** bucket in the path (host/bucket/key), as most S3-compatible services want. */
  forcePathStyle: z.boolean().optional(),
  serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
  /** The KMS key (id, ARN or alias) with serverSideEncryption: aws:kms; default the account's S3 key. */
  kmsKeyId: z.string().min(1).max(2048).optional(),
  /** Size of each part of a multipart upload; what a write holds in memory is about partSizeMiB × (queueSize + 1). */
  partSizeMiB: z.number().int().min(5).max(512).optional(),
  /** Parts uploaded at once. */
  queueSize: z.number().int().min(1).max(16).optional(),
  accessKeyId: credentialsRefused,
  secretAccessKey: credentialsRefused,
  sessionToken: credentialsRefused,
});

export const storageSchema = storageFields.superRefine(s3Checks).default({ kind: 'filesystem' });

/** The bucket settings with their defaults, once kind is s3. */
export interface S3Settings {
  bucket: string;
  prefix: string;
  region: string | undefined;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  serverSideEncryption: 'AES256' | 'aws:kms' | undefined;
  kmsKeyId: string | undefined;
  partSize: number;
  queueSize: number;
}

export function s3Settings(s: z.output<typeof storageSchema>): S3Settings {
  return {
    bucket: s.bucket!,
    prefix: s.prefix ?? '',
    region: s.region,
    endpoint: s.endpoint,
    forcePathStyle: s.forcePathStyle ?? false,
    serverSideEncryption: s.serverSideEncryption,
    kmsKeyId: s.kmsKeyId,
    partSize: (s.partSizeMiB ?? 8) * MIB,
    queueSize: s.queueSize ?? 4,
  };
}
