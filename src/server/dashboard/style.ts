// The dashboard's one stylesheet: system fonts, light and dark from prefers-color-scheme, readable on a phone.
export const CSS = `:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;
--accent:#0b5cad;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--btn:#0b5cad;--btnfg:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--card:#151b23;
--accent:#4493f8;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--btn:#2f81f7;--btnfg:#fff}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,
textarea:focus-visible,summary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
header nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem}header .who{margin-left:auto;display:flex;gap:.6rem;align-items:center}
.brand{font-weight:700;text-decoration:none;color:var(--fg)}nav a[aria-current=page]{font-weight:700;text-decoration:none}
main{padding:1rem;max-width:72rem;margin:0 auto}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.3rem}
.wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.93rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:var(--card);border:1px solid var(--line);padding:.7rem;overflow:auto;max-height:32rem;white-space:pre-wrap}
.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;border:1px solid currentColor;font-size:.8rem;white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.7rem;margin-bottom:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem}
.card b{display:block;font-size:.8rem;color:var(--muted);font-weight:600}
button,.button{font:inherit;background:var(--btn);color:var(--btnfg);border:0;border-radius:6px;padding:.35rem .8rem;
cursor:pointer;text-decoration:none;display:inline-block}button.secondary{background:transparent;color:var(--accent);
border:1px solid var(--line)}button.danger{background:var(--bad)}button:disabled{opacity:.5;cursor:not-allowed}
form.inline{display:inline}label{display:block;font-weight:600;margin:.5rem 0 .2rem}label.check{font-weight:400;display:flex;gap:.4rem}
input[type=text],select,textarea{font:inherit;width:100%;max-width:40rem;padding:.35rem .5rem;background:var(--bg);
color:var(--fg);border:1px solid var(--line);border-radius:6px}textarea{font-family:ui-monospace,Menlo,monospace;min-height:18rem}
.alert{border:1px solid var(--bad);color:var(--bad);padding:.6rem .8rem;border-radius:6px;margin:.5rem 0}
.notice{border:1px solid var(--ok);color:var(--ok);padding:.6rem .8rem;border-radius:6px;margin:.5rem 0}
.actions{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}ul.events{list-style:none;padding:0;margin:0}
ul.events li{border-bottom:1px solid var(--line);padding:.25rem 0;font-size:.9rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:.7rem;margin-bottom:1rem}
figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.4rem .6rem}
figure.chart svg{max-width:100%;height:auto;display:block}figure.chart figcaption{font-size:.85rem;color:var(--muted)}
.chart-line{fill:none;stroke:var(--accent);stroke-width:1.5}.chart-area{fill:var(--accent);opacity:.15}
.chart-axis{stroke:var(--line)}.chart-text{fill:var(--muted);font-size:10px}svg.bar{display:block;margin:.3rem 0}
.bar-track{fill:var(--line)}.bar-fill.ok{fill:var(--ok)}.bar-fill.warn{fill:var(--warn)}.bar-fill.bad{fill:var(--bad)}
@media (max-width:40rem){main{padding:.6rem}th,td{padding:.3rem}.hide-sm,table.resources th:nth-child(5),
table.resources td:nth-child(5){display:none}}
`;
