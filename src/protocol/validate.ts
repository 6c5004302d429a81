// Validation at the edge: schemas are compiled once and every failure names each bad field.
//
// The cost of validating one input is bounded by its schema, not by the input's size:
// - the compiled Check stops at the first failed keyword (a length limit before a pattern);
// - error reporting (TypeBox Errors, which runs every keyword) sees the input with each string and
//   array cut to one past the longest limit anywhere in the schema and each object cut to the
//   names the schema knows plus MAX_REPORTED others, and stops after MAX_REPORTED fields: a 1 MB
//   string is still reported as too long, but no pattern ever runs over it;
// - patterns are written so they cannot backtrack (test/unit/validation-schemas.test.ts).
// A value that passes its schema is then held to the text rule (core/text.ts) in one walk.
import { Kind, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { ValidationError, type FieldProblems } from '../core/errors.js';
import { textProblem } from '../core/text.js';

/** Beyond this many bad fields, a report names no more (a body of 10,000 bad ids gets 50). */
export const MAX_REPORTED = 50;

/** The largest limits of a schema: how deep it nests, its longest string and array, its names. */
interface Bounds {
  depth: number;
  length: number;
  items: number;
  names: Set<string>;
  /** It has a kind boundsOf does not know, which could hold anything: nothing is cut. */
  open: boolean;
}

interface Compiled {
  check: TypeCheck<TSchema>;
  bounds: Bounds;
}

const compiled = new WeakMap<TSchema, Compiled>();

function compiledOf(schema: TSchema): Compiled {
  let c = compiled.get(schema);
  if (!c) {
    c = { check: TypeCompiler.Compile(schema), bounds: boundsOf(schema) };
    compiled.set(schema, c);
  }
  return c;
}

function boundsOf(schema: TSchema): Bounds {
  const b: Bounds = { depth: 0, length: 0, items: 0, names: new Set(), open: false };
  const visit = (s: TSchema, depth: number): void => {
    b.depth = Math.max(b.depth, depth);
    switch (s[Kind]) {
      case 'String':
        b.length = Math.max(b.length, typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity);
        break;
      case 'Literal':
        if (typeof s['const'] === 'string') b.length = Math.max(b.length, s['const'].length);
        break;
      case 'Array':
        b.items = Math.max(b.items, typeof s['maxItems'] === 'number' ? s['maxItems'] : Infinity);
        visit(s['items'] as TSchema, depth + 1);
        break;
      case 'Object':
        for (const [name, p] of Object.entries(s['properties'] as Record<string, TSchema>)) {
          b.names.add(name);
          visit(p, depth + 1);
        }
        if (typeof s['additionalProperties'] === 'object') visit(s['additionalProperties'] as TSchema, depth + 1);
        break;
      case 'Union':
        for (const v of s['anyOf'] as TSchema[]) visit(v, depth);
        break;
      case 'Intersect':
        for (const v of s['allOf'] as TSchema[]) visit(v, depth);
        break;
      case 'Integer':
      case 'Number':
      case 'Boolean':
      case 'Null':
        break;
      default:
        b.open = true;
    }
  };
  visit(schema, 0);
  return b;
}

/** `value` as error reporting sees it, cut to what can show every problem the report names. */
function bounded(value: unknown, b: Bounds, depth = 0): unknown {
  if (b.open) return value;
  if (typeof value === 'string') return value.length > b.length + 1 ? value.slice(0, b.length + 1) : value;
  if (value === null || typeof value !== 'object' || depth > b.depth) return value;
  if (Array.isArray(value)) return (value.length > b.items + 1 ? value.slice(0, b.items + 1) : value).map((v) => bounded(v, b, depth + 1));
  const kept: Array<[string, unknown]> = [];
  let unknown = 0;
  for (const k of Object.keys(value)) {
    if (b.names.has(k) || unknown++ < MAX_REPORTED) kept.push([k, bounded((value as Record<string, unknown>)[k], b, depth + 1)]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(kept);
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
  // A union such as (email | ''): name what its described variant expects.
  const described = (schema.anyOf as TSchema[] | undefined)?.find((s) => s.description);
  if (type === ValueErrorType.Union && !schema.description && described) return `must be ${described.description}`;
  if (schema.description && type === ValueErrorType.StringPattern) return `must be ${schema.description}`;
  if (schema.description && type !== ValueErrorType.Object) return `${message.toLowerCase()} (${schema.description})`;
  return message.toLowerCase();
}

/** Adds a problem for every string breaking the text rule (up to MAX_REPORTED fields in all). */
function textProblems(value: unknown, b: Bounds, root: string, out: FieldProblems, path = '', depth = 0): void {
  if (Object.keys(out).length >= MAX_REPORTED) return;
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem) out[fieldName(path, root)] ??= problem;
    return;
  }
  if (value === null || typeof value !== 'object' || (depth > b.depth && !b.open)) return;
  const entries: Iterable<[string | number, unknown]> = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [k, v] of entries) textProblems(v, b, root, out, `${path}/${k}`, depth + 1);
}

/** Lists every bad field of `value` against `schema` (first problem per field); {} when valid. */
export function problems(schema: TSchema, value: unknown, root = 'body'): FieldProblems {
  const { check, bounds } = compiledOf(schema);
  // No prototype: a field named "__proto__" or "constructor" is reported like any other.
  const out: FieldProblems = Object.create(null);
  if (check.Check(value)) {
    textProblems(value, bounds, root, out);
    return out;
  }
  const view = bounded(value, bounds);
  for (const err of check.Errors(view)) {
    out[fieldName(err.path, root)] ??= describe(err.type, err.message, err.schema);
    if (Object.keys(out).length >= MAX_REPORTED) return out;
  }
  textProblems(view, bounds, root, out);
  if (Object.keys(out).length === 0) out[root] = 'is invalid';
  return out;
}

const INTEGER_TEXT = /^-?\d+$/;

/**
 * Query-string values typed by an object schema, strictly: an integer field takes only digits
 * ("1e20", "1.5" or "0x10" stay strings and are refused by validate), a boolean field true/false
 * or 1/0; everything else stays a string. (TypeBox's Value.Convert would read "1e20" as 1.)
 */
export function queryValues(schema: TSchema, raw: Iterable<[string, string]>): Record<string, unknown> {
  const properties = (schema['properties'] ?? {}) as Record<string, TSchema>;
  const out: Record<string, unknown> = {};
  for (const [key, text] of raw) {
    const kind = Object.hasOwn(properties, key) ? properties[key]![Kind] : undefined;
    let value: unknown = text;
    if (kind === 'Integer' && INTEGER_TEXT.test(text)) value = Number(text);
    else if (kind === 'Boolean' && /^(true|1)$/i.test(text)) value = true;
    else if (kind === 'Boolean' && /^(false|0)$/i.test(text)) value = false;
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function validate<S extends TSchema>(schema: S, value: unknown, root = 'body'): Static<S> {
  const found = problems(schema, value, root);
  if (Object.keys(found).length > 0) throw ValidationError.of(found);
  return value as Static<S>;
}
