/** Turns a `tmux capture-pane -e` screen (ANSI colours) into an HTML page, for a PNG of the terminal view. */
const COLORS = [
  '#1e1e1e',
  '#e06c75',
  '#98c379',
  '#e5c07b',
  '#61afef',
  '#c678dd',
  '#56b6c2',
  '#dcdfe4',
];
const BRIGHT = [
  '#5c6370',
  '#ff7b86',
  '#b5e890',
  '#ffd68a',
  '#8cc8ff',
  '#e09cff',
  '#7fdbe6',
  '#ffffff',
];

export function ansiToHtml(text: string, title = 'taskapp monitor'): string {
  let fg: string | null = null,
    bold = false,
    dim = false,
    inverse = false;
  let out = '';
  let open = false;
  const esc = (s: string) =>
    s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
  const span = () => {
    if (open) {
      out += '</span>';
    }
    const st: string[] = [];
    const color = fg ?? '#dcdfe4';
    if (inverse) {
      st.push(`background:${color};color:#1e1e1e`);
    } else {
      st.push(`color:${color}`);
    }
    if (bold) {
      st.push('font-weight:bold');
    }
    if (dim) {
      st.push('opacity:.6');
    }
    out += `<span style="${st.join(';')}">`;
    open = true;
  };
  span();
  text = text.replace(/(\s*\n)+$/, '\n');
  for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (!m) {
      out += esc(part);
      continue;
    }
    const codes = (m[1] || '0').split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c === 0) {
        fg = null;
        bold = dim = inverse = false;
      } else if (c === 1) {
        bold = true;
      } else if (c === 2) {
        dim = true;
      } else if (c === 22) {
        bold = dim = false;
      } else if (c === 7) {
        inverse = true;
      } else if (c === 27) {
        inverse = false;
      } else if (c >= 30 && c <= 37) {
        fg = COLORS[c - 30]!;
      } else if (c >= 90 && c <= 97) {
        fg = BRIGHT[c - 90]!;
      } else if (c === 39) {
        fg = null;
      } else if (c === 38 && codes[i + 1] === 5) {
        const n = codes[i + 2]!;
        fg = n < 8 ? COLORS[n]! : n < 16 ? BRIGHT[n - 8]! : null;
        i += 2;
      }
    }
    span();
  }
  if (open) {
    out += '</span>';
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>
body{margin:0;background:#1e1e1e}pre{margin:0;padding:14px 16px;font:14px/1.12 "DejaVu Sans Mono",monospace;color:#dcdfe4;background:#1e1e1e;display:inline-block}
</style></head><body><pre>${out}</pre></body></html>`;
}
