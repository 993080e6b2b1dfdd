// Reads kernel/include/uapi/takakrypt.h the way a C compiler would see the
// parts the tests need: enum values, #define constants and packed struct
// layouts. Used to check that the TypeScript and native sides match it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HEADER_PATH = join(__dirname, '../../kernel/include/uapi/takakrypt.h');
const text = readFileSync(HEADER_PATH, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** Members of `enum NAME { ... }` with their explicit values. */
export function headerEnum(name: string): Map<string, number> {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(text);
  if (!body) throw new Error(`expected enum ${name} in ${HEADER_PATH}, found none`);
  const out = new Map<string, number>();
  for (const m of body[1].matchAll(/(\w+)\s*=\s*(\d+)/g)) out.set(m[1], Number(m[2]));
  return out;
}

/** The numeric value of `#define NAME value`. */
export function headerDefine(name: string): number {
  const m = new RegExp(`#define ${name}\\s+\\(?(\\d+)U?\\s*(?:<<\\s*(\\d+))?\\)?`).exec(text);
  if (!m) throw new Error(`expected #define ${name} in ${HEADER_PATH}, found none`);
  return Number(m[1]) << Number(m[2] ?? 0);
}

export interface HeaderField {
  name: string;
  size: 4 | 8;
  offset: number;
}

/** The fields of packed `struct NAME`, in order, with their offsets. */
export function headerStruct(name: string): HeaderField[] {
  const body = new RegExp(`struct ${name} \\{([^}]*)\\} __attribute__\\(\\(packed\\)\\);`).exec(text);
  if (!body) throw new Error(`expected packed struct ${name} in ${HEADER_PATH}, found none`);
  const fields: HeaderField[] = [];
  let offset = 0;
  for (const m of body[1].matchAll(/__[us](32|64)\s+(\w+);/g)) {
    const size = m[1] === '64' ? 8 : 4;
    fields.push({ name: m[2], size, offset });
    offset += size;
  }
  return fields;
}

/** snake_case field name of the header to the camelCase key of the codec. */
export function camel(field: string): string {
  return field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
