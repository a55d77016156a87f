/**
 * The trigger form of a job type, generated from its params' JSON Schema (zod's), with a
 * field for each param the type lets a trigger tune (its `overridable` list: the trigger
 * boundary) — and back: the posted fields as the params of a run request. What the form
 * does not offer can still be posted by hand; it goes to the same check as an API call
 * (checkTrigger), which refuses it for a token that may not.
 */
import { z } from 'zod';
import type { JobDefinition } from '../../jobs/types.js';
import { BadRequest } from '../common.js';
import { html, type Html } from './html.js';

interface Property {
  type?: string | string[];
  anyOf?: Property[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  description?: string;
  default?: unknown;
}

const schemas = new WeakMap<object, Record<string, Property>>();

function properties(definition: JobDefinition<unknown>): Record<string, Property> {
  let props = schemas.get(definition);
  if (!props) {
    try {
      const schema = z.toJSONSchema(definition.params, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, Property>;
      };
      props = schema.properties ?? {};
    } catch {
      props = {};
    }
    schemas.set(definition, props);
  }
  return props;
}

function kinds(p: Property | undefined): Set<string> {
  const out = new Set<string>();
  if (!p) return out;
  for (const t of [p.type ?? []].flat()) out.add(t);
  for (const alt of p.anyOf ?? []) for (const t of kinds(alt)) out.add(t);
  if (p.enum) out.add('enum');
  return out;
}

function field(key: string, p: Property | undefined): Html {
  const name = `p.${key}`;
  const id = `param-${key}`;
  const k = kinds(p);
  const hint = [
    p?.description,
    p?.default !== undefined ? `default ${JSON.stringify(p.default)}` : null,
    k.has('number') || k.has('integer') ? (k.has('string') ? 'number or duration like 30s' : 'a number') : null,
  ]
    .filter(Boolean)
    .join(' · ');
  let input: Html;
  if (p?.enum)
    input = html`<select id="${id}" name="${name}">
      <option value="">(as configured)</option>
      ${p.enum.map((v) => html`<option>${String(v)}</option>`)}
    </select>`;
  else if (k.size === 1 && k.has('boolean'))
    input = html`<select id="${id}" name="${name}">
      <option value="">(as configured)</option>
      <option>true</option>
      <option>false</option>
    </select>`;
  else if (k.size && [...k].every((t) => t === 'number' || t === 'integer'))
    input = html`<input
      type="number"
      id="${id}"
      name="${name}"
      step="any"
      ${p?.minimum !== undefined ? html` min="${p.minimum}"` : null}${p?.maximum !== undefined ? html` max="${p.maximum}"` : null}
    />`;
  else input = html`<input type="text" id="${id}" name="${name}" autocomplete="off" />`;
  return html`<label for="${id}">${key} ${hint ? html`<span class="hint">(${hint})</span>` : null}</label>${input}`;
}

/** The fields for the params a trigger may tune. */
export function paramFields(definition: JobDefinition<unknown>): Html[] {
  const props = properties(definition);
  return definition.overridable.map((key) => field(key, props[key]));
}

/** A posted value as the type its param takes: numbers, booleans and JSON for lists and objects. */
function convert(key: string, raw: string, p: Property | undefined): unknown {
  const k = kinds(p);
  if ((k.has('number') || k.has('integer')) && /^-?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw);
  if (k.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if ((k.has('array') || k.has('object')) && /^[[{]/.test(raw.trim())) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new BadRequest(`params.${key}: "${raw.slice(0, 100)}" is not JSON; a list or object is written as JSON`);
    }
  }
  return raw;
}

/** The params of a posted trigger form: each non-empty `p.<name>` field, and confirm when ticked. */
export function paramsFromForm(
  definition: JobDefinition<unknown>,
  form: Record<string, string>,
): Record<string, unknown> {
  const props = properties(definition);
  const params: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(form)) {
    if (!name.startsWith('p.') || raw === '') continue;
    const key = name.slice(2);
    if (!/^[A-Za-z][A-Za-z0-9_]{0,99}$/.test(key))
      throw new BadRequest(`${name.slice(0, 100)}: not a param name (letters, digits and _)`);
    params[key] = convert(key, raw, props[key]);
  }
  if (form.confirm === 'true') params.confirm = true;
  return params;
}
