/**
 * The argument names a task function declares, read from its source when its first parameter is a
 * destructuring pattern (`async ({ x, y }) => ...`). Types are erased at run time, so this is how
 * `key_arguments` naming an argument the task does not take is caught at registration.
 * Returns null when the names cannot be known (a plain `args` parameter, `...rest` in the pattern).
 */
export function declaredArgumentNames(fn: (...args: never[]) => unknown): string[] | null {
  const src = Function.prototype.toString.call(fn);
  const open = src.indexOf('(');
  const brace = src.indexOf('{');
  // First parameter must start with "{" right after the opening parenthesis (async ({ ... }) or function ({ ... })).
  if (open < 0 || brace < 0 || src.slice(open + 1, brace).trim() !== '') {
    return null;
  }
  let depth = 0;
  let end = -1;
  for (let i = brace; i < src.length; i++) {
    if (src[i] === '{') {
      depth++;
    } else if (src[i] === '}' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    return null;
  }
  const body = src.slice(brace + 1, end);
  const names: string[] = [];
  let level = 0;
  let part = '';
  for (const ch of body + ',') {
    if ('{[('.includes(ch)) {
      level++;
    }
    if ('}])'.includes(ch)) {
      level--;
    }
    if (ch === ',' && level === 0) {
      const name = /^\s*(\.\.\.)?\s*([A-Za-z_$][\w$]*|"[^"]*"|'[^']*')/.exec(part);
      if (name?.[1]) {
        return null;
      }
      if (name) {
        names.push(name[2]!.replace(/^["']|["']$/g, ''));
      }
      part = '';
    } else {
      part += ch;
    }
  }
  return names;
}
