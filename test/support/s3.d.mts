export interface S3Server {
  /** http://127.0.0.1:PORT: give the SDK forcePathStyle: true with it. */
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps the objects. */
  directory: string;
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (unique to this server) and AWS_REGION. */
  env: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string; AWS_REGION: string };
  /** Multipart uploads begun and neither completed nor aborted, read from s3rver's directory. */
  pendingUploads(): Array<{ id: string; key: string; parts: number }>;
  stop(): Promise<void>;
}
export function startS3(bucket?: string): Promise<S3Server>;
