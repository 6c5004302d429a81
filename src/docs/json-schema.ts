// TypeBox schemas as plain JSON Schema (2020-12, which OpenAPI 3.1 and AsyncAPI 3.0 take),
// with the schemas that have a name replaced by a $ref to where the document keeps them.
import type { TSchema } from 'typebox';

export type Json = Record<string, unknown>;

export class SchemaNames {
  private readonly names = new Map<object, string>();
  private readonly taken = new Set<string>();
  readonly used = new Map<string, object>();

  constructor(private readonly refBase: string) {}

  /** Names every schema among `exports` (a module's exports); the first name of a schema wins. */
  add(exports: Record<string, unknown>, suffix = ''): this {
    for (const [name, value] of Object.entries(exports)) {
      if (!isSchema(value) || this.names.has(value)) continue;
      let unique = `${name}${suffix}`;
      for (let n = 2; this.taken.has(unique); n++) unique = `${name}${suffix}${n}`;
      this.taken.add(unique);
      this.names.set(value, unique);
    }
    return this;
  }

  /** `schema` as JSON, named parts (below the top when `inline`) as $refs. */
  json(schema: TSchema, inline = false): Json {
    const name = this.names.get(schema);
    if (name && !inline) {
      if (!this.used.has(name)) {
        this.used.set(name, {});
        this.used.set(name, this.json(schema, true));
      }
      return { $ref: `${this.refBase}${name}` };
    }
    const out: Json = {};
    // Own enumerable keys only: TypeBox's '~kind' and '~optional' markers are not enumerable.
    for (const [k, v] of Object.entries(schema as object)) {
      if (k === 'properties' && v && typeof v === 'object') {
        out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, this.json(s as TSchema)]));
      } else if ((k === 'anyOf' || k === 'allOf' || k === 'oneOf') && Array.isArray(v)) {
        out[k] = v.map((s) => this.json(s as TSchema));
      } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isSchema(v)) {
        out[k] = this.json(v as TSchema);
      } else if (k === 'patternProperties' && v && typeof v === 'object') {
        out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, this.json(s as TSchema)]));
      } else {
        out[k] = v;
      }
    }
    return out;
  }

  /** The named schemas used so far, for the document's components. */
  components(): Json {
    return Object.fromEntries([...this.used.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

export function isSchema(v: unknown): v is TSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && ('~kind' in v || 'type' in v || 'anyOf' in v || '$ref' in v);
}
