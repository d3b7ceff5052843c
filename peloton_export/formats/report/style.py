"""The one stylesheet of the workout pages and the history page (inlined in each).

Colours come from a colour-blind-safe palette (after Okabe and Ito), darkened for the light
theme and lightened for the dark one so every line keeps at least 3:1 contrast with its
background (WCAG 2.2, 1.4.11). The dark theme follows ``prefers-color-scheme``.
"""

from __future__ import annotations

CSS = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1f;--muted:#5b5b66;--line:#d9d9e0;--plot:#fafafc;
--power:#0064a0;--cadence:#00785a;--resistance:#a2407a;--speed:#935400;--incline:#b03c00;
--heart_rate:#c0262d;--altitude:#6b5a00;--route:#0064a0;
--z1:#56b4e9;--z2:#009e73;--z3:#e6c300;--z4:#e69f00;--z5:#d55e00;--z6:#cc3311;--z7:#882255}
@media (prefers-color-scheme:dark){:root{--bg:#15161a;--fg:#ececf1;--muted:#a4a4b3;--line:#34353d;
--plot:#1c1d22;--power:#6cc4ff;--cadence:#3fd1a5;--resistance:#ee9ccf;--speed:#f2b64c;
--incline:#ff9159;--heart_rate:#ff7a7a;--altitude:#e3cf5a;--route:#6cc4ff}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:16px;background:var(--bg);color:var(--fg);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.15rem;margin:1.4em 0 .5em}
a{color:var(--power)}
.sub{color:var(--muted);margin:0}
dl.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:8px;margin:1em 0}
dl.totals div{border:1px solid var(--line);border-radius:8px;padding:6px 10px}
dl.totals dt{color:var(--muted);font-size:.8rem}dl.totals dd{margin:0;font-size:1.15rem;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,460px),1fr));gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px}figcaption small{font-weight:400;color:var(--muted)}
svg{display:block;width:100%;height:auto}
svg text{fill:var(--muted);font-size:13px;font-family:inherit}
svg .plot{fill:var(--plot)}svg .grid{stroke:var(--line);stroke-width:1}
svg .line{fill:none;stroke-width:1.6;stroke-linejoin:round}
svg .band{fill-opacity:.24;stroke:none!important}svg .zone{fill-opacity:.14}svg .bar{fill-opacity:.85}
svg .zone-label{font-size:11px}
svg.track{max-width:640px;margin:auto}svg .route{fill:none;stroke:var(--route);stroke-width:3;
stroke-linecap:round;stroke-linejoin:round}svg .start{fill:var(--cadence)}svg .finish{fill:var(--heart_rate)}
.m-power .line,.m-power .band{stroke:var(--power);fill:var(--power)}
.m-cadence .line,.m-cadence .band{stroke:var(--cadence);fill:var(--cadence)}
.m-resistance .line,.m-resistance .band{stroke:var(--resistance);fill:var(--resistance)}
.m-speed .line,.m-speed .band,.m-pace .line,.m-pace .band{stroke:var(--speed);fill:var(--speed)}
.m-incline .line,.m-incline .band{stroke:var(--incline);fill:var(--incline)}
.m-heart_rate .line{stroke:var(--heart_rate)}
.m-altitude .line{stroke:var(--altitude)}.m-curve .line{stroke:var(--power)}
svg .line{fill:none!important}
.z1{fill:var(--z1)}.z2{fill:var(--z2)}.z3{fill:var(--z3)}.z4{fill:var(--z4)}.z5{fill:var(--z5)}
.z6{fill:var(--z6)}.z7{fill:var(--z7)}
svg .s0{stroke:var(--power);fill:var(--power)}svg .s1{stroke:var(--speed);fill:var(--speed)}
svg .s2{stroke:var(--cadence);fill:var(--cadence)}svg .s3{stroke:var(--resistance);fill:var(--resistance)}
svg .s4{stroke:var(--incline);fill:var(--incline)}svg .s5{stroke:var(--altitude);fill:var(--altitude)}
svg .zero{stroke:var(--muted);stroke-width:1}svg .change{stroke:var(--fg);stroke-width:1.4;
stroke-dasharray:5 4}svg .level{fill:none!important;stroke-width:2.4}
ul.changes{margin:.3em 0;padding-left:1.2em}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85rem;color:var(--muted);margin:4px 0 0}
.legend span::before{content:"";display:inline-block;width:14px;height:3px;margin-right:5px;
vertical-align:middle;background:currentColor}
.legend .s0{color:var(--power)}.legend .s1{color:var(--speed)}.legend .s2{color:var(--cadence)}
.legend .s3{color:var(--resistance)}.legend .s4{color:var(--incline)}.legend .s5{color:var(--altitude)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th button{all:inherit;cursor:pointer;text-decoration:underline dotted}
.note{color:var(--muted);font-size:.9rem}
.filters{display:flex;flex-wrap:wrap;gap:8px;margin:.5em 0}
.filters input,.filters select{font:inherit;padding:4px 6px;color:var(--fg);background:var(--bg);
border:1px solid var(--line);border-radius:6px}.filters input{width:19em;max-width:100%}
@media (max-width:600px){body{padding:10px}h1{font-size:1.25rem}}
"""

__all__ = ["CSS"]
