import type { JsonSchema } from '../api/types';

/** A string that is one `${...}` template, or text with templates inside (JSON Schema applies `pattern` to strings only). */
export const templatePattern = '\\$\\{[^{}]+\\}';

export interface FormSchemas { schema: JsonSchema; uiSchema: Record<string, unknown> }

const typesOf = (s: JsonSchema): string[] => Array.isArray(s.type) ? s.type as string[] : typeof s.type === 'string' ? [s.type] : [];

/**
 * The activity's input schema as the property form needs it: every string field gets the template-completing
 * widget, and a number field also accepts a string that is a `${...}` template (the engine resolves it when the
 * node runs), so `"seconds": "${inputs.wait}"` is valid while `"seconds": "soon"` is not.
 */
export function templateAware(input: JsonSchema): FormSchemas {
  const properties = (input.properties ?? {}) as Record<string, JsonSchema>;
  const schema: JsonSchema = { ...input, properties: {} };
  const uiSchema: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    const [s, ui] = field(property);
    (schema.properties as Record<string, JsonSchema>)[name] = s;
    if (ui) uiSchema[name] = ui;
  }
  // The activity's order of fields, required first, is the order authors expect.
  return { schema, uiSchema };
}

function field(property: JsonSchema): [JsonSchema, Record<string, unknown> | undefined] {
  const types = typesOf(property);
  const numeric = types.filter(t => t === 'integer' || t === 'number');
  if (types.includes('string')) return [property, { 'ui:widget': 'template' }];
  if (numeric.length > 0) {
    return [
      { ...property, type: ['string', ...types], pattern: `^${templatePattern}$` },
      { 'ui:widget': 'template', 'ui:options': { numeric: numeric[0] } },
    ];
  }
  if (types.includes('array') && typesOf((property.items ?? {}) as JsonSchema).includes('string'))
    return [property, { items: { 'ui:widget': 'template' } }];
  if (types.includes('object') && typeof property.additionalProperties === 'object'
      && typesOf(property.additionalProperties as JsonSchema).includes('string'))
    return [property, { additionalProperties: { 'ui:widget': 'template' } }];
  return [property, undefined];
}

/** What the widget stores for typed text: a number for a numeric field when it reads as one, else the text. */
export function coerce(text: string, numeric?: string): unknown {
  if (text === '') return undefined;
  if (numeric && /^-?\d+(\.\d+)?$/.test(text.trim())) {
    const n = Number(text);
    return numeric === 'integer' && !Number.isInteger(n) ? text : n;
  }
  return text;
}
