/**
 * Secrets in plain sight: credential-looking keys of ConfigMaps (data and binaryData) and
 * literal `env[].value`s of containers, and private keys pasted into either. The evidence
 * names the key or variable only: the value is a secret, and the finding is stored and
 * mailed. Names are judged by their components (DATABASE_PASSWORD, dbPassword, api-key):
 * BYPASS_CACHE and PASSTHROUGH hold no password, TOKEN_TTL and SECRET_NAME no secret.
 */
import type { Finding } from '../../model.js';
import { ref, type ConfigMap } from './cluster.js';
import type { PlacedContainer } from './containers.js';
import { control, type Violation } from './control.js';

/** A name's words, lower case: split at _ - . / and camelCase (names are bounded to 256 characters). */
const nameWords = (name: string): string[] =>
  name
    .slice(0, 256)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);

/** Words that name a credential when they end the name. */
const CREDENTIAL = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'credential',
  'credentials',
  'apikey',
  'privatekey',
]);
/** Two words that do (API_KEY, PRIVATE_KEY, SECRET_KEY, AWS_SECRET_ACCESS_KEY). */
const CREDENTIAL_PAIRS = new Set(['api key', 'private key', 'secret key', 'access key', 'client secret']);
/** How a name may go on after the credential and still hold it (DB_PASSWORD_B64). */
const ENCODINGS = new Set(['b64', 'base64', 'encoded', 'value', 'raw']);
/** Files of key material, by name. */
const KEY_FILE = /(^|[._-])(id_rsa|id_ecdsa|id_ed25519)$|\.(key|p12|pfx|jks|keystore)$/i;

/** Whether a key or variable name says it holds a credential. */
export function credentialName(name: string): boolean {
  if (KEY_FILE.test(name.slice(0, 256))) return true;
  const words = nameWords(name);
  if (words.length > 1 && ENCODINGS.has(words.at(-1)!)) words.pop();
  // A numbered credential (PASSWORD2) is still one.
  const tail = words.slice(-2).map((w) => w.replace(/\d+$/, ''));
  const last = tail.at(-1) ?? '';
  return CREDENTIAL.has(last) || CREDENTIAL_PAIRS.has(tail.join(' '));
}

/** A PEM private key, whatever the name (bounded: at most 40 characters between BEGIN and PRIVATE). */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----/;

/** `${VAR}` is a placeholder filled from a Secret at deploy time, not the secret itself. */
const isPlaceholder = (value: string) => /^\$\{[^}]*\}$/.test(value);

/** Why a name and value look like a secret, or null. */
function exposed(name: string, value: unknown): string | null {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text || isPlaceholder(text)) return null;
  if (PRIVATE_KEY.test(text)) return 'a private key';
  return credentialName(name) ? 'a credential' : null;
}

function configMapViolations(cm: ConfigMap): Violation[] {
  const at = ref(cm, 'ConfigMap');
  return [
    ...Object.entries(cm.data ?? {}).flatMap(([k, v]) => {
      const why = exposed(k, v);
      return why ? [{ resource: at, detail: `key ${k}${why === 'a private key' ? ' (a private key)' : ''}` }] : [];
    }),
    // binaryData is base64: judged by its name only.
    ...Object.entries(cm.binaryData ?? {})
      .filter(([k, v]) => credentialName(k) && String(v ?? '') !== '')
      .map(([k]) => ({ resource: at, detail: `binaryData key ${k}` })),
  ];
}

const configMapSecrets = (configMaps: ConfigMap[]): Finding =>
  control(
    {
      id: 'configmap-sensitive-values',
      title: 'no secrets in plain ConfigMaps',
      severity: 'critical',
      remedy:
        'Move the value to a Secret (referenced with secretKeyRef) and rotate it: it has been readable by anyone who can read ConfigMaps.',
    },
    configMaps.flatMap(configMapViolations),
    'cluster',
  );

const envSecrets = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-sensitive-env',
      title: 'no secrets in plain env values',
      severity: 'critical',
      remedy:
        'Take the value from a Secret (env[].valueFrom.secretKeyRef) and rotate it: it is readable by anyone who can read the workload.',
    },
    containers.flatMap((x) =>
      (x.c.env ?? []).flatMap((e) => {
        const why = exposed(String(e.name ?? ''), e.value);
        return why
          ? [{ resource: x.at, detail: `env ${e.name}${why === 'a private key' ? ' (a private key)' : ''}` }]
          : [];
      }),
    ),
    'cluster',
  );

/** Secrets in ConfigMaps, then in containers' env values. */
export const sensitiveValues = (configMaps: ConfigMap[], containers: PlacedContainer[]): Finding[] => [
  configMapSecrets(configMaps),
  envSecrets(containers),
];
