// HTML built from tagged templates: every interpolated value is escaped unless it is already Html.

/** A piece of HTML that is safe to insert as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Html) return value.text;
  return escapeHtml(String(value));
}

/** `html\`<p>${name}</p>\``: values are escaped, arrays joined, null/undefined/false left out. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup, e.g. a constant. */
export function raw(text: string): Html {
  return new Html(text);
}

/** `3 min ago`, `2 h ago`, `5 d ago` relative to `now`; the exact time in the datetime attribute. */
export function ago(iso: string | undefined, now = Date.now()): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const text =
    s < 60
      ? `${s} s ago`
      : s < 3600
        ? `${Math.round(s / 60)} min ago`
        : s < 86400
          ? `${Math.round(s / 3600)} h ago`
          : `${Math.round(s / 86400)} d ago`;
  return html`<time datetime="${iso}">${text}</time>`;
}

/** The first 12 characters of a commit, in a code element (the whole commit in its title unless `full` is false). */
export function shortCommit(commit: string | undefined, full = true): Html {
  if (!commit) return html`<span class="muted">–</span>`;
  return full
    ? html`<code title="${commit}">${commit.slice(0, 12)}</code>`
    : html`<code>${commit.slice(0, 12)}</code>`;
}
