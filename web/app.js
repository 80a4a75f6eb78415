// The chat UI: plain modules over the REST API, no build step. It streams the answer pipeline's
// server-sent events and shows citations with their quoted spans and the reflection verdict.
const $ = (id) => document.getElementById(id);
const state = { collection: null, chatId: null, controller: null };

/** The API key, when the server needs one: asked once and kept in this browser only. */
function authHeaders() {
  const key = localStorage.getItem('cairn-key');
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function api(path, init = {}) {
  let response = await fetch(path, { ...init, headers: { ...init.headers, ...authHeaders() } });
  if (response.status === 401) {
    const key = prompt('This Cairn server needs an API key (`cairn keys create`):');
    if (key) {
      localStorage.setItem('cairn-key', key.trim());
      response = await fetch(path, { ...init, headers: { ...init.headers, ...authHeaders() } });
    }
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  }
  return response.status === 204 ? null : response.json();
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

async function loadHealth() {
  const health = await api('/health');
  const missing = Object.entries(health.components ?? {})
    .filter(([, c]) => !c.available)
    .map(([name]) => name);
  $('status').textContent = missing.length ? `running without: ${missing.join(', ')}` : 'all components available';
  $('status').title = Object.entries(health.components ?? {})
    .map(([n, c]) => `${n}: ${c.detail}`)
    .join('\n');
}

async function loadCollections(select) {
  const { collections } = await api('/v1/collections');
  $('collection').replaceChildren(...collections.map((c) => el('option', { value: c.name, textContent: c.name })));
  state.collection = select ?? collections[0]?.name ?? null;
  if (state.collection) $('collection').value = state.collection;
  await loadDocuments();
}

async function loadDocuments() {
  if (!state.collection) return $('documents').replaceChildren(el('li', { textContent: 'Create a collection to start.' }));
  const { documents } = await api(`/v1/collections/${state.collection}/documents?limit=200`);
  $('documents').replaceChildren(
    ...(documents.length
      ? documents.map((d) =>
          el(
            'li',
            { title: d.source },
            el('span', { textContent: d.title || d.source }),
            el('button', {
              type: 'button',
              className: 'reingest',
              textContent: 're-ingest',
              title: 'Split and embed again (after a chunking or model change)',
              onclick: () => reingest(d.id),
            }),
          ),
        )
      : [el('li', { textContent: 'No documents yet.' })]),
  );
}

/** Reads a text/event-stream response into {event, data} objects. */
async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf('\n\n');
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

function renderResult(turn, result) {
  turn.classList.toggle('abstained', result.decision === 'abstained');
  const answer = turn.querySelector('.answer');
  answer.textContent = result.answer;
  const sources = el('ol', { className: 'sources' });
  // One entry per label in the answer text: quotes of one passage cited twice share its entry.
  const byMarker = new Map();
  for (const c of result.citations) byMarker.set(c.marker, [...(byMarker.get(c.marker) ?? []), c]);
  for (const [marker, cites] of byMarker) {
    const c = cites[0];
    const where = [c.title || c.source, c.page ? `p. ${c.page}` : ''].filter(Boolean).join(', ');
    const quotes = cites.flatMap((q, i) => [...(i ? [' '] : []), el('q', { textContent: q.quote })]);
    sources.append(el('li', { value: marker }, `${where} `, ...quotes));
  }
  if (result.decision === 'abstained') {
    for (const p of result.closestPassages ?? [])
      sources.append(el('li', {}, `closest: ${p.title || p.source} `, el('q', { textContent: p.text.slice(0, 200) })));
  }
  const score = result.score ? ` · score ${result.score.total.toFixed(2)} / ${result.score.threshold}` : '';
  const notes = (result.notes ?? []).join(' · ');
  turn.querySelector('.meta').textContent = `${result.decision} · ${result.mode}${score}${notes ? ` · ${notes}` : ''}`;
  turn.append(sources);
}

async function ask(question) {
  const turn = el(
    'div',
    { className: 'turn' },
    el('div', { className: 'question', textContent: question }),
    el('div', { className: 'answer' }),
    el('div', { className: 'meta', textContent: 'retrieving…' }),
  );
  $('chat').append(turn);
  state.controller = new AbortController();
  $('stop').hidden = false;
  try {
    const response = await fetch(`/v1/collections/${state.collection}/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders() },
      body: JSON.stringify({ question, ...(state.chatId ? { chatId: state.chatId } : {}), stream: true }),
      signal: state.controller.signal,
    });
    if (!response.ok) throw new Error((await response.json()).error?.message ?? response.statusText);
    for await (const { event, data } of readEvents(response)) {
      // Released sentences append; draft tokens (answer.stream "draft") show greyed until `final` replaces them.
      if (event === 'token') {
        turn.querySelector('.answer').textContent += data.text;
        turn.querySelector('.answer').classList.toggle('draft', data.draft === true);
      } else if (event === 'final') {
        turn.querySelector('.answer').textContent = data.answer;
        turn.querySelector('.answer').classList.remove('draft');
      } else if (event === 'retrieved') turn.querySelector('.meta').textContent = `${data.passages.length} passages retrieved…`;
      else if (event === 'reflection') turn.querySelector('.meta').textContent = `checking: ${data.stage}…`;
      else if (event === 'done' || event === 'error') {
        if (data.result) {
          state.chatId = data.result.chatId ?? state.chatId;
          renderResult(turn, data.result);
        }
        if (event === 'error') turn.querySelector('.meta').textContent += ` · error: ${data.error?.message ?? ''}`;
      }
    }
  } catch (error) {
    turn.querySelector('.meta').textContent = error.name === 'AbortError' ? 'stopped' : `error: ${error.message}`;
  } finally {
    $('stop').hidden = true;
    turn.scrollIntoView({ block: 'end' });
  }
}

$('ask').addEventListener('submit', (event) => {
  event.preventDefault();
  const question = $('question').value.trim();
  if (!question || !state.collection) return;
  $('question').value = '';
  ask(question);
});
$('stop').addEventListener('click', () => state.controller?.abort());
$('collection').addEventListener('change', (event) => {
  state.collection = event.target.value;
  state.chatId = null;
  $('chat').replaceChildren();
  loadDocuments();
});
$('new-collection').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('new-collection-name').value.trim();
  try {
    await api('/v1/collections', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    $('new-collection-name').value = '';
    await loadCollections(name);
  } catch (error) {
    $('status').textContent = error.message;
  }
});
$('upload').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!state.collection || $('files').files.length === 0) return;
  const form = new FormData();
  for (const file of $('files').files) form.append('files', file, file.name);
  try {
    const { jobId } = await api(`/v1/collections/${state.collection}/documents`, { method: 'POST', body: form });
    $('job').textContent = 'ingesting…';
    await followJob(jobId);
  } catch (error) {
    $('job').textContent = error.message;
  }
});

async function reingest(documentId) {
  try {
    const { jobId } = await api(`/v1/collections/${state.collection}/documents/${documentId}/reingest`, { method: 'POST' });
    await followJob(jobId);
  } catch (error) {
    $('job').textContent = error.message;
  }
}

/** Polls the job into the status line, with a button that cancels it while it is queued or running. */
async function followJob(id) {
  const cancel = el('button', { type: 'button', id: 'cancel-job', textContent: 'cancel' });
  cancel.onclick = () => api(`/v1/jobs/${id}/cancel`, { method: 'POST' }).catch(() => undefined);
  for (;;) {
    const job = await api(`/v1/jobs/${id}`);
    const p = job.progress;
    const failed = job.failures.length ? `, ${job.failures.length} failed` : '';
    const active = ['queued', 'running'].includes(job.status);
    $('job').replaceChildren(
      `${job.status}: ${p.documentsDone}/${p.documentsTotal} documents${failed}`,
      ...(active ? [' ', cancel] : []),
    );
    if (!active) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  $('files').value = '';
  await loadDocuments();
}

loadHealth().catch((error) => ($('status').textContent = error.message));
loadCollections().catch((error) => ($('status').textContent = error.message));
