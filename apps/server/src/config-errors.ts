// Config faults in words a person can act on: where in the file a JSON syntax error is (line and column,
// with the line itself), which known key an unknown one was probably meant to be, and why a file the config
// names cannot be read. It only formats;
// it never decides whether a config is valid (the schema in config.ts does).
import type { z } from 'zod';

/** A schema node as zod 4 describes it; only the parts needed to find the keys an object accepts. */
interface SchemaNode {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly shape?: Record<string, SchemaNode>;
      readonly innerType?: SchemaNode;
      readonly element?: SchemaNode;
      readonly out?: SchemaNode;
      readonly options?: readonly SchemaNode[];
    };
  };
}

/**
 * The keys an object at `path` inside `schema` accepts. Array indexes step into the element; unions give
 * the keys of every option (a target may be `ssh` or `local`).
 */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const visit = (node: SchemaNode | undefined, rest: readonly PropertyKey[]): void => {
    if (!node) return;
    const def = node._zod.def;
    switch (def.type) {
      case 'object':
        if (rest.length === 0) for (const key of Object.keys(def.shape ?? {})) keys.add(key);
        else visit(def.shape?.[String(rest[0])], rest.slice(1));
        return;
      case 'array':
        if (rest.length > 0) visit(def.element, rest.slice(1));
        return;
      case 'union':
        for (const option of def.options ?? []) visit(option, rest);
        return;
      case 'pipe':
        visit(def.out, rest);
        return;
      default:
        // optional, default, prefault, nullable, readonly: a wrapper around one schema.
        visit(def.innerType, rest);
    }
  };
  visit(schema, path);
  return [...keys];
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[y.length] ?? 0;
}

/** The known key closest to `word`, if one is close enough to be a likely typo (a third of its length). */
export function nearestKey(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** One line per issue: `key.path: what is wrong`, with a suggestion for each unknown key. */
export function formatIssues(error: z.ZodError, schema: z.ZodType): string {
  return error.issues
    .flatMap((issue) => {
      const at = issue.path.map(String).join('.');
      if (issue.code !== 'unrecognized_keys') return [`  ${at || '(root)'}: ${issue.message}`];
      const known = knownKeysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const suggestion = nearestKey(key, known);
        const where = at ? `${at}.${key}` : key;
        return `  ${where}: unknown key${suggestion ? ` — did you mean \`${suggestion}\`?` : ''}`;
      });
    })
    .join('\n');
}

/**
 * Where a JSON.parse error points, as `line L, column C` with the line and a caret under the column.
 * Node 20 reports only an offset ("at position 313"); newer versions also give the line and column.
 */
export function describeJsonError(text: string, error: Error): string {
  const reason = error.message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/\s*\(line.*$/s, '');
  const position = /at position (\d+)/.exec(error.message)?.[1];
  if (position === undefined) {
    return /Unexpected end of JSON input/.test(error.message)
      ? 'the file ends before the JSON does (a missing `}` or `]`?)'
      : reason;
  }
  const offset = Math.min(Number(position), text.length);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const source = text.split('\n')[line - 1]?.replace(/\r$/, '') ?? '';
  // Keep tabs under tabs so the caret lines up with the column however the terminal draws them.
  const pad = source.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return `line ${line}, column ${column}: ${reason}\n    ${source}\n    ${pad}^`;
}

/** Why `file` could not be read, in words (missing, not readable by us, a folder, or the error itself). */
export function unreadable(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${file} does not exist`;
  if (code === 'EACCES') return `${file} cannot be read by the user running termrelay (permission denied)`;
  if (code === 'EISDIR') return `${file} is a folder, not a file`;
  return `cannot read ${file}: ${(error as Error).message}`;
}
