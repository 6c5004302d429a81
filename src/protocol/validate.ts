// Validation at the edge: schemas are compiled once and every failure names each bad field.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { ValidationError, type FieldProblems } from './errors.js';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

export function compile<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<S>;
}

function fieldName(path: string, root: string): string {
  const name = path.replace(/^\//, '').replace(/\//g, '.');
  return name === '' ? root : name;
}

function describe(type: ValueErrorType, message: string, schema: TSchema): string {
  if (type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (type === ValueErrorType.ObjectAdditionalProperties) return 'is not a known field';
  const options = (schema.anyOf as TSchema[] | undefined)?.map((s) => s.const);
  if (options && options.every((o) => o !== undefined)) return `must be one of: ${options.join(', ')}`;
  if (schema.description && type === ValueErrorType.StringPattern) return `must be ${schema.description}`;
  if (schema.description && type !== ValueErrorType.Object) return `${message.toLowerCase()} (${schema.description})`;
  return message.toLowerCase();
}

/** Lists every bad field of `value` against `schema` (first problem per field). */
export function problems(schema: TSchema, value: unknown, root = 'body'): FieldProblems {
  const out: FieldProblems = {};
  for (const err of compile(schema).Errors(value)) {
    let path = err.path;
    // Additional-property errors point at the object; name the offending keys instead.
    if (err.type === ValueErrorType.ObjectAdditionalProperties && err.value && typeof err.value === 'object') {
      const known = new Set(Object.keys((err.schema as { properties?: object }).properties ?? {}));
      for (const key of Object.keys(err.value as object)) {
        if (!known.has(key)) out[fieldName(`${path}/${key}`, root)] ??= 'is not a known field';
      }
      continue;
    }
    const name = fieldName(path, root);
    out[name] ??= describe(err.type, err.message, err.schema);
  }
  return out;
}

export function validate<S extends TSchema>(schema: S, value: unknown, root = 'body'): Static<S> {
  if (compile(schema).Check(value)) return value as Static<S>;
  const found = problems(schema, value, root);
  if (Object.keys(found).length === 0) found[root] = 'is invalid';
  throw ValidationError.of(found);
}
