// The YAML stage of loading: parse with positions, refuse what cannot be a
// configuration document (syntax errors, alias bombs, collection keys) and
// hand back plain data plus the map from paths to lines and columns.
import { isCollection, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { SourceMap, type Problem } from './problems';

/** Parsed data, or the problems that stopped parsing. */
export interface ParsedYaml {
  /** The document as plain data; undefined when `problems` is not empty. */
  raw: unknown;
  source: SourceMap;
  problems: Problem[];
  warnings: Problem[];
}

/** Alias expansions allowed per document; far above any real configuration. */
const MAX_ALIAS_COUNT = 1000;

/** Parse one YAML document, every node keeping its position. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  // logLevel 'error': the library's warnings come back here, it never prints them.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const source = new SourceMap(file, doc, lines);
  const at = (offset: number, message: string) => yamlProblem(file, lines, offset, message);
  const warnings = doc.warnings.map((w) => at(w.pos[0], firstLine(w.message)));
  const problems = [
    ...doc.errors.map((e) => at(e.pos[0], firstLine(e.message))),
    ...collectionKeys(doc).map((offset) => at(offset, 'expected a plain key, got a list or mapping used as a key')),
  ];
  if (problems.length > 0) return { raw: undefined, source, problems, warnings };
  try {
    return { raw: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), source, problems, warnings };
  } catch (err) {
    return { raw: undefined, source, problems: [at(0, firstLine((err as Error).message))], warnings };
  }
}

// Offsets of mapping keys that are themselves lists or mappings: no key of
// the configuration is one, and they cannot become object keys intact.
function collectionKeys(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Pair(_key, pair) {
      if (isCollection(pair.key) && pair.key.range) offsets.push(pair.key.range[0]);
    },
  });
  return offsets;
}

function yamlProblem(file: string, lines: LineCounter, offset: number, message: string): Problem {
  const { line, col } = lines.linePos(offset);
  return { file, line, column: col, path: '(yaml)', message };
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
