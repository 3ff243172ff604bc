"""The HTML report's inline stylesheet and script (kept apart from the markup that uses them).

Promise: plain constants, no I/O, nothing that loads a resource: the page's Content Security
Policy allows inline style and script only. The script is an enhancement: without it (or
printed) every section, table and trace is still there; it adds the copy buttons, expand and
collapse, opening the section a link points into, and opening every section before printing.
"""

PAGE_CSS = """
:root {
  --bg: #f7f8fa; --fg: #1c2330; --muted: #5a6474; --line: #d5dae2; --panel: #ffffff; --code: #eef1f5;
  --pass: #1a7f37; --pass-bg: #dcf5e3; --fail: #c22b2b; --fail-bg: #fde7e7; --stop: #8a5a00; --stop-bg: #fff4c2;
  --error: #7a3fd1; --error-bg: #f1e8ff; --sought: #0b62c4; --warn: #8a5a00; --focus: #0b62c4;
  --lost: #c22b2b; --torn: #c25e00; --cell0: #e9ecf1; --read: #0b62c4; --write: #8a3ffc;
  --stale: #b35900; --stale-bg: #fff1dc; --over: #7a3fd1; --over-bg: #f1e8ff; --conf: #c22b2b; --conf-bg: #fde7e7;
  --tip-bg: #1c2330; --tip-fg: #ffffff;
}
@media screen and (prefers-color-scheme: dark) {  /* paper is white: print keeps the light palette */
  :root {
    --bg: #0f1319; --fg: #e4e8ee; --muted: #9aa5b4; --line: #333b47; --panel: #171c24; --code: #202733;
    --pass: #4cc46a; --pass-bg: #13301d; --fail: #ff7a72; --fail-bg: #3d1a1a; --stop: #e3b341; --stop-bg: #3a2e0c;
    --error: #c9a2ff; --error-bg: #2d1f47; --sought: #6cb6ff; --warn: #e3b341; --focus: #6cb6ff;
    --lost: #ff6b63; --torn: #ff9d42; --cell0: #252c37; --read: #6cb6ff; --write: #c9a2ff;
    --stale: #f0a348; --stale-bg: #3a2a12; --over: #c9a2ff; --over-bg: #2d1f47; --conf: #ff7a72; --conf-bg: #3d1a1a;
    --tip-bg: #e4e8ee; --tip-fg: #0f1319;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 76rem;
  padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 .3rem; display: flex; gap: .6rem; align-items: center; }
h2 { font-size: 1.25rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1.05rem; margin: 0; display: inline; }
h4 { font-size: .95rem; margin: 1rem 0 .4rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .86em; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem;
  overflow-x: auto; max-height: 28rem; white-space: pre; }
a { color: var(--sought); }
mark { background: var(--fail-bg); color: var(--fail); font-weight: 700; padding: 0 .1em; border-radius: 3px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
:target { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: var(--panel); padding: .3rem .6rem; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.js-only { display: none; }
.js .js-only { display: inline-block; }
.lead { margin: 0 0 .6rem; font-size: 1.05rem; }
.sub { color: var(--muted); font-size: .88em; font-weight: normal; }
.note { color: var(--muted); border-left: 3px solid var(--line); padding: .2rem .7rem; margin: .6rem 0; }
.problem { color: var(--fail); font-weight: 600; }
.label { color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; margin-right: .5rem; }
.facts { display: flex; flex-wrap: wrap; gap: .3rem 1.6rem; margin: .4rem 0 .6rem; }
.facts div { display: flex; gap: .4rem; align-items: baseline; }
.facts dt { color: var(--muted); font-size: .85rem; }
.facts dd { margin: 0; font-weight: 600; }
.rows { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0; }
.rows div { display: contents; }
.rows dt { color: var(--muted); }
.rows dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; font-weight: 700; font-size: .8rem; letter-spacing: .03em; padding: .1rem .5rem;
  border-radius: 999px; text-decoration: none; border: 1px solid currentColor; }
.badge.big { font-size: 1.05rem; padding: .15rem .7rem; }
.v-pass, .v-passed { color: var(--pass); background: var(--pass-bg); }
.v-fail, .v-failed { color: var(--fail); background: var(--fail-bg); }
.v-stop, .v-interrupted, .v-inconclusive { color: var(--stop); background: var(--stop-bg); }
.v-error { color: var(--error); background: var(--error-bg); }
.cmd { display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; margin: .35rem 0; }
.cmd code { background: var(--code); border: 1px solid var(--line); border-radius: 6px; padding: .3rem .55rem;
  overflow-wrap: anywhere; flex: 1 1 30rem; }
button { font: inherit; font-size: .85rem; color: var(--fg); background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: .25rem .7rem; cursor: pointer; }
button:hover { border-color: var(--focus); }
.toolbar { margin: 0 0 .8rem; display: flex; gap: .5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; font-size: .85rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.summary { width: 100%; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
.summary .name { display: block; font-weight: 600; }
.summary .file, p.file { color: var(--muted); font-size: .82rem; font-weight: normal; }
.summary td.none { color: var(--muted); font-size: .85rem; }
.kind { font-size: .85rem; }
.kind.canary { color: var(--sought); }
.results-head { margin-bottom: .3rem; }
.result { background: var(--panel); border: 1px solid var(--line); border-left: 5px solid var(--line);
  border-radius: 8px; margin: 0 0 .8rem; padding: .55rem 1rem; }
.r-pass { border-left-color: var(--pass); }
.r-fail { border-left-color: var(--fail); }
.r-error { border-left-color: var(--error); }
.r-stop { border-left-color: var(--stop); }
.result summary { cursor: pointer; }
.result summary .line { display: block; color: var(--muted); font-size: .88rem; margin: .15rem 0 0 1.1rem; }
.method { color: var(--muted); font-weight: normal; }
.cert .tag { font-weight: 700; color: var(--sought); }
.outcomes { margin: .6rem 0; min-width: 60%; }
.outcomes td.num { text-align: right; font-variant-numeric: tabular-nums; }
.outcomes .share { width: 11rem; white-space: nowrap; }
.outcomes .bar { display: inline-block; height: .7rem; min-width: 1px; background: var(--muted); vertical-align: middle;
  border-radius: 2px; max-width: 7rem; margin-right: .4rem; }
.outcomes .pct { font-size: .82rem; color: var(--muted); }
.o-bad .judge { color: var(--fail); font-weight: 700; }
.o-bad .bar { background: var(--fail); }
.o-sought .judge { color: var(--sought); font-weight: 600; }
.o-sought .bar { background: var(--sought); }
.o-warn .judge { color: var(--warn); font-weight: 600; }
.o-ok .bar { background: var(--pass); }
.js .outcomes:not(.unfolded) tr.fold { display: none; }
.unfold { margin: 0 0 .6rem; }
.arr { overflow-wrap: anywhere; }
.strip-box { margin: .6rem 0; }
.strip-row { display: grid; grid-template-columns: 7.5rem 1fr; gap: .2rem .8rem; align-items: center; margin: .3rem 0; }
.strip-label { color: var(--muted); font-size: .85rem; }
.strip { display: grid; grid-template-columns: repeat(var(--cells), minmax(2px, 2.2rem)); gap: 1px; height: 1.3rem; }
.strip span { background: color-mix(in srgb, var(--lost) calc(var(--h) * 100%), var(--cell0)); border-radius: 1px; }
.k-torn_read span { background: color-mix(in srgb, var(--torn) calc(var(--h) * 100%), var(--cell0)); }
.strip-most { grid-column: 2; margin: 0; font-size: .82rem; color: var(--muted); }
.example, .trace { border-top: 1px dashed var(--line); margin-top: .8rem; }
.chain { line-height: 1.9; }
.lanes { display: grid; gap: .3rem .7rem; padding: .3rem 0 .6rem; min-width: min-content; }
.lh { grid-row: 1; font-weight: 700; font-size: .85rem; text-align: center; padding: .2rem .4rem;
  border-bottom: 2px solid var(--line); position: relative; z-index: 1; background: var(--panel); }
.step-h { grid-column: 1; text-align: right; color: var(--muted); font-weight: 600; }
.lane-line { background: linear-gradient(var(--line), var(--line)) center / 2px 100% no-repeat; z-index: 0; }
.st { grid-column: 1; text-align: right; color: var(--muted); font: .8rem ui-monospace, monospace; padding-top: .35rem; }
.gap { grid-column: 1 / -1; text-align: center; color: var(--muted); font-size: .8rem; font-style: italic; z-index: 1; }
.acc { position: relative; z-index: 1; background: var(--panel); border: 1px solid var(--line);
  border-left: 4px solid var(--muted); border-radius: 6px; padding: .25rem .5rem; font-size: .85rem; }
.acc.op-read { border-left-color: var(--read); }
.acc.op-write { border-left-color: var(--write); }
.acc-what { font-family: ui-monospace, monospace; font-weight: 600; }
.acc-where, .acc-note, .acc-links { display: block; font-size: .78rem; color: var(--muted); overflow-wrap: anywhere; }
.acc-links a { margin-right: .5rem; }
.m-stale-read, .m-snapshot { background: var(--stale-bg); border-color: var(--stale); }
.m-overwritten { background: var(--over-bg); border-color: var(--over); }
.m-conflict, .m-torn-inside { background: var(--conf-bg); border-color: var(--conf); }
.acc.m-stale-read, .acc.m-snapshot { border-left-color: var(--stale); }
.acc.m-overwritten { border-left-color: var(--over); }
.acc.m-conflict, .acc.m-torn-inside { border-left-color: var(--conf); }
.mark-badge { display: inline-block; font-size: .7rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em;
  border: 1px solid var(--line); border-radius: 4px; padding: 0 .3rem; margin-right: .35rem; }
.acc:hover::after, .acc:focus::after, .acc:focus-within::after { content: attr(data-tip); position: absolute; left: 0;
  top: calc(100% + 4px); z-index: 20; width: max-content; max-width: 30rem; white-space: normal;
  background: var(--tip-bg); color: var(--tip-fg); font: .8rem/1.35 system-ui, sans-serif; padding: .4rem .6rem;
  border-radius: 6px; box-shadow: 0 4px 14px rgba(0, 0, 0, .3); pointer-events: none; }
.acc:hover, .acc:focus, .acc:focus-within { z-index: 21; }
.legend { list-style: none; padding: 0; margin: .2rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .82rem; }
.blocked { margin: .5rem 0; }
.output { margin: .4rem 0; }
@media print {
  :root { --bg: #fff; --panel: #fff; --fg: #000; --muted: #444; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  .js-only, .js .js-only, .skip, .toolbar { display: none !important; }
  .js .outcomes:not(.unfolded) tr.fold { display: table-row; }
  .scroll, pre { overflow: visible; max-height: none; white-space: pre-wrap; }
  details::details-content { content-visibility: visible; display: contents; }
  .result, .acc, tr, .strip-row { break-inside: avoid; }
  .acc::after { display: none !important; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""

PAGE_SCRIPT = """
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var status = document.getElementById("status");
  function say(text) { if (status) { status.textContent = text; } }
  function flash(button, text) {
    var before = button.textContent;
    button.textContent = text;
    setTimeout(function () { button.textContent = before; }, 1600);
  }
  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function copyText(node) {
    var text = node.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    select(node);
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("no clipboard"));
  }
  function unfold(button) {
    var table = document.getElementById(button.dataset.unfold);
    var open = table.classList.toggle("unfolded");
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (!button.dataset.label) { button.dataset.label = button.textContent; }
    button.textContent = open ? "Show fewer final arrays" : button.dataset.label;
  }
  function setAll(open) {
    document.querySelectorAll("section.result > details").forEach(function (d) { d.open = open; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy], button[data-action], button[data-unfold]");
    if (!button) { return; }
    if (button.dataset.action) { setAll(button.dataset.action === "expand"); return; }
    if (button.dataset.unfold) { unfold(button); return; }
    var code = document.getElementById(button.dataset.copy);
    copyText(code).then(function () {
      flash(button, "Copied");
      say("Copied to the clipboard");
    }, function () {
      select(code);
      flash(button, "Selected: press Ctrl+C");
      say("The command is selected: press Ctrl+C to copy it");
    });
  });
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var node = id ? document.getElementById(id) : null;
    if (node && node.matches("section.result")) { node = node.querySelector("details"); }
    for (; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () { closed.forEach(function (d) { d.open = false; }); });
})();
"""
