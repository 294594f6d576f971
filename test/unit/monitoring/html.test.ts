/** The pages' templates (hono/html behind src/monitoring/web/html.ts): what is escaped and what is not. */
import { describe, expect, it } from 'vitest';
import { html, raw } from '../../../src/monitoring/web/html.js';

describe('html templates', () => {
  it('escapes the five HTML-special characters of interpolated text, in text and attributes', () => {
    const evil = `<img src=x onerror="alert('1')">&`;
    expect(html`<td title="${evil}">${evil}</td>`.toString()).toBe(
      '<td title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">' +
        '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</td>',
    );
  });

  it('does not escape nested templates or raw() again', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${raw('<br>')}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b><br></p>');
  });

  it('joins arrays, prints numbers, and renders null, undefined and false as nothing', () => {
    const rows = ['a<', 'b'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${rows}</ul>`.toString()).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${1.5}|${null}|${undefined}|${false}|${0}`.toString()).toBe('1.5||||0');
  });
});
