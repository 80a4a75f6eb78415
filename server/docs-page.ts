/** A self-contained page that renders /openapi.json: no CDN, no build step, works offline. */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Cairn API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:0}h2{margin-top:2rem;border-bottom:1px solid #ddd}
details{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}code,pre{font:13px ui-monospace,monospace}pre{background:#f6f6f6;padding:.6rem;overflow:auto}
.m{display:inline-block;width:4.5rem;font-weight:600;text-transform:uppercase}
.get{color:#0a7}.post{color:#05c}.patch{color:#a60}.delete{color:#c22}
</style></head><body>
<h1>Cairn API</h1><p id="about">Loading <a href="/openapi.json">/openapi.json</a>…</p><div id="paths"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]);
const block = (title, value) => value ? '<p><b>' + title + '</b></p><pre>' + esc(JSON.stringify(value, null, 2)) + '</pre>' : '';
fetch('/openapi.json').then((r) => r.json()).then((spec) => {
  document.getElementById('about').textContent = spec.info.description + ' Version ' + spec.info.version + '.';
  const byTag = {};
  for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
    (byTag[op.tags[0]] ??= []).push({ path, method, op });
  }
  let html = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const { path, method, op } of ops) {
      html += '<details><summary><span class="m ' + method + '">' + method + '</span><code>' + esc(path) + '</code> — ' + esc(op.summary) + '</summary>';
      if (op.description) html += '<p>' + esc(op.description) + '</p>';
      if (op.parameters.length) html += block('Parameters', op.parameters);
      if (op.requestBody) html += block('Request body', op.requestBody.content);
      html += block('Responses', Object.fromEntries(Object.entries(op.responses).map(([s, r]) => [s, r.description])));
      html += '</details>';
    }
  }
  document.getElementById('paths').innerHTML = html;
}).catch((e) => { document.getElementById('about').textContent = 'Could not load the spec: ' + e; });
</script></body></html>`;
