/**
 * The pages' HTML templates are hono/html's: interpolated values are escaped (& < > " ') unless
 * they are html`` themselves or wrapped in raw(); arrays are joined, null, undefined and false
 * render nothing. What is kept here: the synchronous type, and JSON text for display.
 */
import { html as honoHtml, raw } from 'hono/html';

/** Escaped HTML text (a string hono knows not to escape again). */
export type Html = ReturnType<typeof raw>;

type Part = Html | string | number | false | null | undefined | readonly Part[];

/** html`<p>${value}</p>`. hono's html returns a promise only when given one; pages never are. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  const out = honoHtml(strings, ...values);
  if (out instanceof Promise) {
    throw new TypeError('html: a promise was interpolated into a page');
  }
  return out;
}

export { raw };

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
