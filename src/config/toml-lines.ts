/**
 * Where each key of a TOML document is written (dotted path -> 1-based line), so that errors and
 * `config show --explain` can say `taskapp.toml:12` instead of just the file. A light line scanner,
 * not a parser: the document has already been parsed by smol-toml; this only finds key positions.
 */
export function tomlKeyLines(content: string): Map<string, number> {
  const out = new Map<string, number>();
  let table: string[] = [];
  let inMultiline: '"""' | "'''" | null = null;
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (inMultiline) {
      if (raw.includes(inMultiline)) {
        inMultiline = null;
      }
      continue;
    }
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      continue;
    }
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
    if (header) {
      table = splitKey(header[1]!);
      if (!out.has(table.join('.'))) {
        out.set(table.join('.'), i + 1);
      }
      continue;
    }
    const eq = findEquals(line);
    if (eq < 0) {
      continue;
    }
    const path = [...table, ...splitKey(line.slice(0, eq))];
    out.set(path.join('.'), i + 1);
    const value = line.slice(eq + 1);
    for (const q of ['"""', "'''"] as const) {
      const n = value.split(q).length - 1;
      if (n % 2 === 1) {
        inMultiline = q;
      }
    }
  }
  return out;
}

/** Index of the `=` that ends a key, outside quotes; -1 when the line is not `key = value`. */
function findEquals(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) {
        quote = null;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '=') {
      return i;
    } else if (!/[\w.\s-]/.test(c)) {
      return -1;
    }
  }
  return -1;
}

/** `a."b.c".d` -> ['a', 'b.c', 'd']. */
function splitKey(key: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const c of key.trim()) {
    if (quote) {
      if (c === quote) {
        quote = null;
      } else {
        cur += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '.') {
      parts.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur.trim());
  return parts;
}

/** `fieldSources` for a config layer: each key's `file <path>:<line>`. */
export function tomlFieldSources(content: string, filepath: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, line] of tomlKeyLines(content)) {
    out.set(path, `file ${filepath}:${line}`);
  }
  return out;
}
