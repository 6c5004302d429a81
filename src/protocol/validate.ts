// Validation at the edge: schemas are compiled once and every failure names each bad field.
//
// The cost of validating one input is bounded by its schema, not by the input's size:
// - the compiled Check stops at the first failed keyword (a length limit before a pattern);
// - error reporting (TypeBox Errors, which runs every keyword) sees the input with each string and
//   array cut to one past the longest limit anywhere in the schema (strings: twice that in UTF-16
//   units, as limits count code points) and each object cut to the names the schema knows plus
//   MAX_REPORTED others, and buffers at most MAX_ERRORS errors: a 1 MB string is still reported
//   as too long, but no pattern ever runs over it;
// - patterns are written so they cannot backtrack (test/unit/validation-schemas.test.ts).
// A value that passes its schema is then held to the text rule (core/text.ts) in one walk.
import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { Settings } from 'typebox/system';
import { ValidationError, type FieldProblems } from '../core/errors.js';
import { textProblem } from '../core/text.js';

/** Beyond this many bad fields, a report names no more (a body of 10,000 bad ids gets 50). */
export const MAX_REPORTED = 50;
/**
 * Errors buffered per report: a union adds one per variant, so several per field; and an array's
 * own limit is reported after its items, so a full array of bad items must still leave room.
 */
const maxErrorsOf = (b: Bounds) => 20 * MAX_REPORTED + (Number.isFinite(b.items) ? 2 * (b.items + 1) : 0);

/** The kind TypeBox gives a schema it built ('Object', 'String', …); undefined for plain JSON Schema. */
export function kindOf(schema: unknown): string | undefined {
  const kind = typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>)['~kind'] : undefined;
  return typeof kind === 'string' ? kind : undefined;
}

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
  check: Validator<{}, TSchema>;
  bounds: Bounds;
}

/** A schema's keywords (TypeBox 1.x types do not index them). */
type Json = Record<string, unknown>;

const compiled = new WeakMap<TSchema, Compiled>();

function compiledOf(schema: TSchema): Compiled {
  let c = compiled.get(schema);
  if (!c) {
    c = { check: Compile(schema), bounds: boundsOf(schema) };
    compiled.set(schema, c);
  }
  return c;
}

function boundsOf(schema: TSchema): Bounds {
  const b: Bounds = { depth: 0, length: 0, items: 0, names: new Set(), open: false };
  const visit = (schema: TSchema, depth: number): void => {
    const s = schema as Json;
    b.depth = Math.max(b.depth, depth);
    switch (kindOf(s)) {
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
  // Limits count code points, up to two UTF-16 units each.
  if (typeof value === 'string') return value.length > 2 * (b.length + 1) ? value.slice(0, 2 * (b.length + 1)) : value;
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

/** A JSON pointer ("/list/0/a~1b") as a field name ("list.0.a/b"). */
function fieldName(pointer: string, root: string): string {
  if (pointer === '') return root;
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** The sub-schema an error's schemaPath ("#/properties/a/anyOf/0") points at. */
function schemaAt(root: TSchema, schemaPath: string): Record<string, unknown> {
  let s: unknown = root;
  for (const part of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (part === '' || typeof s !== 'object' || s === null) continue;
    s = (s as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
}

/** The error in the words this API has always used ("expected string length less or equal to 8"). */
function message(err: TLocalizedValidationError, schema: Record<string, unknown>): string {
  const p = err.params as { limit?: number; pattern?: string; format?: string; type?: string };
  const noun = schema['type'] === 'integer' ? 'integer' : 'number';
  switch (err.keyword) {
    case 'maxLength':
      return `expected string length less or equal to ${p.limit}`;
    case 'minLength':
      return `expected string length greater or equal to ${p.limit}`;
    case 'maximum':
      return `expected ${noun} to be less or equal to ${p.limit}`;
    case 'minimum':
      return `expected ${noun} to be greater or equal to ${p.limit}`;
    case 'exclusiveMaximum':
      return `expected ${noun} to be less than ${p.limit}`;
    case 'exclusiveMinimum':
      return `expected ${noun} to be greater than ${p.limit}`;
    case 'maxItems':
      return `expected array length to be less or equal to ${p.limit}`;
    case 'minItems':
      return `expected array length to be greater or equal to ${p.limit}`;
    case 'type':
      return `expected ${typeof schema['type'] === 'string' ? schema['type'] : 'another type'}`;
    case 'const':
      return `expected ${JSON.stringify(schema['const'])}`;
    case 'pattern':
      return `expected string to match '${p.pattern}'`;
    case 'format':
      return `expected string to match '${p.format}' format`;
    case 'anyOf':
      return 'expected union value';
    default:
      return err.message.toLowerCase();
  }
}

function describe(err: TLocalizedValidationError, schema: Record<string, unknown>): string {
  const description = typeof schema['description'] === 'string' ? schema['description'] : undefined;
  const variants = Array.isArray(schema['anyOf']) ? (schema['anyOf'] as Array<Record<string, unknown>>) : undefined;
  if (err.keyword === 'anyOf' && variants) {
    if (variants.every((v) => v['const'] !== undefined)) return `must be one of: ${variants.map((v) => v['const']).join(', ')}`;
    if (description) return `must be ${description}`;
    // A union such as (email | ''): name what its described variant expects.
    const described = variants.find((v) => typeof v['description'] === 'string');
    if (described) return `must be ${described['description'] as string}`;
  }
  if (description && (err.keyword === 'pattern' || err.keyword === 'format')) return `must be ${description}`;
  if (description && !(err.keyword === 'type' && schema['type'] === 'object')) return `${message(err, schema)} (${description})`;
  return message(err, schema);
}

/** Each error as [field, problem]; a failed union is one problem, not one per variant. */
function* report(schema: TSchema, errors: TLocalizedValidationError[], root: string): Generator<[string, string]> {
  const unions = new Set<string>();
  for (const e of errors) if (e.keyword === 'anyOf') unions.add(`${e.instancePath} ${e.schemaPath}`);
  for (const e of errors) {
    const inUnion = e.schemaPath.indexOf('/anyOf/');
    if (inUnion >= 0 && ownedByUnion(e, e.schemaPath.slice(0, inUnion), unions)) continue;
    if (e.keyword === 'required') {
      for (const name of (e.params as { requiredProperties: string[] }).requiredProperties) yield [fieldName(`${e.instancePath}/${name}`, root), 'is required'];
    } else if (e.keyword === 'additionalProperties') {
      for (const name of (e.params as { additionalProperties: string[] }).additionalProperties) yield [fieldName(`${e.instancePath}/${name}`, root), 'is not a known field'];
    } else if (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties')) {
      yield [fieldName(e.instancePath, root), 'is not a known field'];
    } else {
      yield [fieldName(e.instancePath, root), describe(e, schemaAt(schema, e.schemaPath))];
    }
  }
}

/** Whether a union at `unionPath` failed at this error's instance path or one above it. */
function ownedByUnion(e: TLocalizedValidationError, unionPath: string, unions: Set<string>): boolean {
  let at = e.instancePath;
  for (;;) {
    if (unions.has(`${at} ${unionPath}`)) return true;
    if (at === '') return false;
    at = at.slice(0, at.lastIndexOf('/'));
  }
}

/** The errors of `value`, a field's own (an array's length) before those of its parts. */
function errorsOf(check: Validator<{}, TSchema>, bounds: Bounds, value: unknown): TLocalizedValidationError[] {
  const before = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: maxErrorsOf(bounds) });
  try {
    const depth = (e: TLocalizedValidationError) => e.instancePath.split('/').length;
    return check.Errors(value).sort((a, b) => depth(a) - depth(b));
  } finally {
    Settings.Set({ maxErrors: before });
  }
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
  for (const [field, problem] of report(schema, errorsOf(check, bounds, view), root)) {
    out[field] ??= problem;
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
 * or 1/0; everything else stays a string; an empty value is left out, as if absent. (TypeBox's
 * Value.Convert would read "1e20" as 1.)
 */
export function queryValues(schema: TSchema, raw: Iterable<[string, string]>): Record<string, unknown> {
  const properties = ((schema as Json)['properties'] ?? {}) as Record<string, TSchema>;
  const out: Record<string, unknown> = {};
  for (const [key, text] of raw) {
    // `?status=&floor=` is how the dashboard says "no filter": an empty value counts as absent.
    if (text === '') continue;
    const kind = Object.hasOwn(properties, key) ? kindOf(properties[key]) : undefined;
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
