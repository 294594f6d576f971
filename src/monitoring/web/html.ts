/** Escaping HTML templates: interpolated values are escaped unless wrapped in raw(). */
export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export const raw = (s: string): Raw => new Raw(s);

export function esc(v: unknown): string {
  return String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

type Part = Raw | string | number | boolean | null | undefined | Part[];

function render(v: Part): string {
  if (v instanceof Raw) {
    return v.html;
  }
  if (Array.isArray(v)) {
    return v.map(render).join('');
  }
  if (v === null || v === undefined || v === false) {
    return '';
  }
  return esc(v);
}

/** html`<p>${value}</p>`: a Raw whose interpolations were escaped (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Raw(out);
}

/** JSON text for display and the API: BigInt, Map, Set and Date made readable instead of throwing. */
export function toJson(v: unknown, indent?: number): string {
  return (
    JSON.stringify(
      v,
      function (this: unknown, _k, x: unknown) {
        if (typeof x === 'bigint') {
          return `${x}n`;
        }
        if (x instanceof Map) {
          return Object.fromEntries(x);
        }
        if (x instanceof Set) {
          return [...x];
        }
        if (x instanceof Uint8Array) {
          return `<${x.byteLength} bytes>`;
        }
        if (x === undefined) {
          return null;
        }
        return x;
      },
      indent,
    ) ?? 'null'
  );
}
