/**
 * Everything lives in the shadow root, so no page selector reaches these elements, and these
 * rules reach nothing outside. `.root` resets what the host element passes down by inheritance
 * (a page may set `color: red !important` on every element, the host included). Theming goes
 * through custom properties, which do cross the boundary on purpose.
 */
export const STYLES = `
:host { display: block !important; contain: layout style; }
:host([mode="launcher"]) { display: contents !important; }
.root {
  all: initial;
  --accent: var(--cairn-accent, #2563eb);
  --accent-text: var(--cairn-accent-text, #ffffff);
  --bg: var(--cairn-background, #ffffff);
  --text: var(--cairn-text, #111827);
  --muted: var(--cairn-muted, #6b7280);
  --border: var(--cairn-border, #e5e7eb);
  --soft: var(--cairn-soft, #f3f4f6);
  --radius: var(--cairn-radius, 14px);
  display: block;
  color: var(--text);
  font: 14px/1.5 var(--cairn-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  text-align: left;
  -webkit-font-smoothing: antialiased;
}
.root *, .root *::before, .root *::after { box-sizing: border-box; }
button, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; border: 0; background: none; padding: 0; }
.launcher {
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
  width: 56px; height: 56px; border-radius: 50%;
  background: var(--accent); color: var(--accent-text);
  display: flex; align-items: center; justify-content: center;
  box-shadow: 0 8px 24px rgba(0, 0, 0, .22); transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.06); }
.launcher svg { width: 26px; height: 26px; fill: currentColor; }
.root[data-position="left"] .launcher { right: auto; left: 20px; }
.panel {
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--bg); color: var(--text);
  border: 1px solid var(--border); border-radius: var(--radius);
  height: var(--cairn-height, 560px); width: 100%;
}
.root[data-mode="launcher"] .panel {
  position: fixed; bottom: 88px; right: 20px; z-index: 2147483000;
  width: var(--cairn-width, 380px); max-width: calc(100vw - 32px); max-height: calc(100vh - 112px);
  box-shadow: 0 18px 48px rgba(0, 0, 0, .22);
}
.root[data-position="left"] .panel { right: auto; left: 20px; }
.panel[hidden] { display: none; }
header {
  display: flex; align-items: center; gap: 8px; padding: 12px 14px;
  background: var(--accent); color: var(--accent-text);
}
header .title { flex: 1; font-weight: 600; font-size: 15px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
header button { width: 30px; height: 30px; border-radius: 8px; display: flex; align-items: center; justify-content: center; }
header button:hover { background: rgba(255, 255, 255, .18); }
header svg { width: 18px; height: 18px; fill: currentColor; }
.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 10px; background: var(--bg); }
.msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.user { align-self: flex-end; background: var(--accent); color: var(--accent-text); border-bottom-right-radius: 4px; }
.bot { align-self: flex-start; background: var(--soft); color: var(--text); border-bottom-left-radius: 4px; }
.bot.abstained { background: #fff7ed; border: 1px solid #fed7aa; }
.bot.refused { background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; }
.status { color: var(--muted); font-size: 12px; font-style: italic; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: #9a3412; margin-bottom: 4px; }
.cite {
  display: inline-block; min-width: 18px; padding: 0 4px; margin: 0 1px; border-radius: 9px;
  background: var(--accent); color: var(--accent-text); font-size: 11px; line-height: 16px; text-align: center; vertical-align: 1px;
}
.sources { margin: 8px 0 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 6px; white-space: normal; }
.sources .label { font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.source { background: var(--bg); border: 1px solid var(--border); border-radius: 8px; padding: 6px 8px; font-size: 12.5px; }
.source .where { font-weight: 600; display: flex; gap: 6px; align-items: baseline; }
.source q { display: block; margin-top: 3px; color: var(--muted); font-style: italic; quotes: "\\201C" "\\201D"; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid var(--border); background: var(--bg); }
textarea {
  flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 9px 11px;
  border: 1px solid var(--border); border-radius: 10px; background: var(--bg); color: var(--text); outline: none;
}
textarea:focus { border-color: var(--accent); box-shadow: 0 0 0 3px color-mix(in srgb, var(--accent) 20%, transparent); }
.send { padding: 0 14px; border-radius: 10px; background: var(--accent); color: var(--accent-text); font-weight: 600; }
.send:disabled { opacity: .5; cursor: default; }
.brand { padding: 0 10px 8px; font-size: 11px; color: var(--muted); text-align: center; background: var(--bg); }
`;
