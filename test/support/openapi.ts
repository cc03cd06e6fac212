/**
 * Validators for schemas of the official OpenAI API specification (test/fixtures/openapi), so
 * tests check what Sluice relays against OpenAI's own definition rather than our idea of it.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

let ajv: Ajv2020 | undefined;

function load(): Ajv2020 {
  if (ajv) return ajv;
  const text = readFileSync(
    new URL('../fixtures/openapi/openai-openapi.yaml', import.meta.url),
    'utf8',
  );
  const spec = parse(text) as { components: unknown };
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'openai', components: toJsonSchema(spec.components) });
  return ajv;
}

export function schemaValidator(component: string): ValidateFunction {
  return load().compile({ $ref: `openai#/components/schemas/${component}` });
}

/** OpenAPI 3.0's `nullable: true` (still used by this 3.1 document) in JSON Schema terms. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'nullable') out[key] = toJsonSchema(value);
  }
  if ((node as { nullable?: unknown }).nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}
