// Turns ajv's schema errors into findings a person can act on: each names
// what the schema expected and what the file holds.
import type { ErrorObject } from 'ajv';
import type { Finding, PathSegment } from './problems';

interface SchemaNode {
  type?: string | string[];
  description?: string;
  minimum?: number;
  maximum?: number;
  /** Annotation of this schema (registered with ajv): the unit of a number. */
  unit?: string;
  properties?: Record<string, unknown>;
}

/** Map every ajv error (compiled with allErrors and verbose) to a finding. */
export function schemaFindings(errors: readonly ErrorObject[]): Finding[] {
  return errors.map(toFinding);
}

function toFinding(error: ErrorObject): Finding {
  const path = instancePath(error.instancePath);
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return { path, message: `expected ${describeTypes(parent.type)}, got ${describeValue(error.data)}` };
    case 'required':
      return { path, partial: true, message: `missing required key "${String(params.missingProperty)}"` };
    case 'additionalProperties':
      return unknownKey(path, String(params.additionalProperty), Object.keys(parent.properties ?? {}));
    case 'enum':
      return { path, message: `expected one of ${(params.allowedValues as unknown[]).join(', ')}, got ${describeValue(error.data)}` };
    case 'minimum':
    case 'maximum':
      return { path, message: `expected ${describeRange(parent)}, got ${describeValue(error.data)}` };
    default:
      return { path, message: describedMismatch(error, parent) };
  }
}

// Keywords whose expectation the schema's own description states best.
function describedMismatch(error: ErrorObject, parent: SchemaNode): string {
  const params = error.params as Record<string, unknown>;
  const fallback: Record<string, string> = {
    pattern: `a value matching ${String(params.pattern)}`,
    minLength: 'a non-empty string',
    minItems: `at least ${String(params.limit)} item(s)`,
    minProperties: `at least ${String(params.limit)} key(s)`,
  };
  // A description names the whole value's shape; an empty string breaks no pattern in it.
  const described = error.keyword === 'minLength' ? undefined : parent.description;
  const expected = described ?? fallback[error.keyword] ?? error.message ?? 'a valid value';
  if (error.keyword === 'minItems' && Array.isArray(error.data)) {
    return `expected ${expected}, got an empty list`;
  }
  if (error.keyword === 'minProperties') return `expected ${expected}, got an empty mapping`;
  return `expected ${expected}, got ${describeValue(error.data)}`;
}

function unknownKey(path: PathSegment[], key: string, allowed: string[]): Finding {
  const guess = closest(key, allowed);
  const hint = guess === null ? '' : ` (did you mean "${guess}"?)`;
  return {
    path: [...path, key],
    at: 'key',
    message: `unknown key ${JSON.stringify(key)}${hint}; expected one of ${allowed.join(', ')}`,
  };
}

/** Split an ajv instance path (`/policies/0/name`) into segments. */
export function instancePath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  boolean: 'a boolean (true or false)',
  integer: 'an integer',
  number: 'a number',
  null: 'null',
};

function describeTypes(type: string | string[] | undefined): string {
  const types = Array.isArray(type) ? type : [type ?? 'value'];
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

function describeRange(node: SchemaNode): string {
  const kind = node.type === 'integer' ? 'an integer' : 'a number';
  const unit = node.unit === undefined ? '' : ` (${node.unit})`;
  return `${kind} from ${String(node.minimum)} to ${String(node.maximum)}${unit}`;
}

/** How a value found in the file is shown in a message: its type and, when short, itself. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return `string ${JSON.stringify(shown)}`;
  }
  return `${typeof value} ${String(value)}`;
}

// A close spelling among the allowed keys, for "did you mean".
function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    // A key cut short or with a changed ending (`browse` for `browsing`) is a near miss too.
    const shared = sharedPrefix(word.toLowerCase(), candidate);
    const truncated = shared >= 4 && shared >= Math.min(word.length, candidate.length) - 1;
    const distance = truncated ? 2 : editDistance(word.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return i;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost));
    }
    previous = current;
  }
  return previous[b.length];
}
