// Diagnostics of an invalid state repo (or an edit) as a list: file:line:col, field path, what is wrong.
import type { Diagnostic } from '../../model/diagnostics.js';
import { type Html, html } from './html.js';

export function diagnosticsList(diagnostics: Diagnostic[]): Html {
  return html`<ul class="alert" role="alert">${diagnostics.map((d) => {
    const where = d.file ? `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}` : '';
    return html`<li>${where ? html`<code>${where}</code> ` : ''}${d.path ? html`<code>${d.path}</code>: ` : ''}${d.summary}${d.detail ? html` <span class="muted">${d.detail}</span>` : ''}</li>`;
  })}</ul>`;
}
