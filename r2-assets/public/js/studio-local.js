// Private mode (/studio/local, r2-assets/templates/studio-local.html): a
// photo is decoded, analysed (NudeNet, the detector module) and blurred
// (the browser module's applyPolicy) on this device, in a Web Worker
// (/js/studio-local-worker.js); only the blurred result is ever uploaded,
// and only when the person asks. The page's CSP (connect-src 'self') keeps
// every request on this site.
//
// window.edgepixStudio tells tests and benchmarks where things are:
// {state: 'empty'|'decoding'|'loading'|'detecting'|'detected'|'redacted'|'error',
//  result (the detector's answer), loadMs, redaction: {plan, ms}, upload}.
import { $, apiError, showError, postJson } from '/js/api.js';

const ACTIONS = ['none', 'blur:standard', 'blur:enhanced', 'blur:full', 'pixelate', 'box'];
const MAX_PIXELS = 100_000_000;
const SVG = 'http://www.w3.org/2000/svg';

const studio = window.edgepixStudio = { state: 'empty' };
let worker = null;
let seq = 0;            // the id of the latest photo or redaction request
let photo = null;       // {bitmap, width, height, name, type, result}
let policy = null;      // {classes: {CLASS: ACTION}, padding}
let off = new Set();    // indices of detections switched off
let redacted = null;    // {data: ImageData, id} of the latest finished redaction
let wanted = 0;         // the id of the redaction the page waits for
let access = null;      // the access token: in this variable only

function setState(s) { studio.state = s; document.body.dataset.state = s; }
function status(text) { $('status').textContent = text; }
function fail(e) {
  setState('error');
  studio.error = e && e.message ? e.message : String(e);
  $('progress').hidden = true;
  status('');
  showError(e);
}
const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const label = (cls) => cls.toLowerCase().replaceAll('_', ' ');

// ---------- the worker ----------

function getWorker() {
  if (worker) return worker;
  worker = new Worker('/js/studio-local-worker.js', { type: 'module' });
  worker.onmessage = (e) => onWorker(e.data);
  worker.onerror = (e) => { worker = null; fail(new Error(`the detector stopped: ${e.message || 'it could not start'}`)); };
  return worker;
}

const progressOf = { module: 0, model: 0 };
function onWorker(msg) {
  if (msg.type === 'progress') {
    if (msg.what === 'compile') {
      $('progress').removeAttribute('value');
      status('Preparing the detector (compiling the model)…');
      return;
    }
    progressOf[msg.what] = msg;
    const parts = Object.values(progressOf).filter(Boolean);
    const loaded = parts.reduce((a, p) => a + p.loaded, 0);
    const total = parts.reduce((a, p) => a + (p.total || p.loaded), 0);
    $('progress').value = total ? loaded / total : 0;
    status(`Loading the detector, once for this visit: ${mib(loaded)}${total ? ` of ${mib(total)}` : ''}…`);
    return;
  }
  if (msg.id !== seq && msg.type !== 'error') return; // an answer for an older photo or plan
  if (msg.type === 'error') {
    if (msg.id === seq) fail(new Error(msg.message));
    return;
  }
  if (msg.type === 'detected') detected(msg);
  else if (msg.type === 'redacted') shown(msg);
}

// ---------- choosing and analysing a photo ----------

async function analyse(file) {
  if (!file) return;
  $('error').hidden = true;
  $('upload-status').textContent = '';
  studio.upload = undefined;
  if (file.type && !file.type.startsWith('image/')) return fail(new Error(`${file.name} is not an image (${file.type})`));
  const id = ++seq;
  setState('decoding');
  status(`Decoding ${file.name} on this device…`);
  let bitmap;
  const started = performance.now();
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    return fail(new Error(`${file.name} could not be decoded: it is not an image this browser reads`));
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) return fail(new Error(`the photo has ${bitmap.width}×${bitmap.height} pixels; at most 100 million are supported`));
  const canvas = $('preview');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  const decodeMs = performance.now() - started;
  if (id !== seq) return;
  photo = { bitmap, width: bitmap.width, height: bitmap.height, name: file.name, type: file.type, decodeMs };
  redacted = null;
  off = new Set();
  $('result').hidden = false;
  $('policy-card').hidden = true;
  $('upload-card').hidden = true;
  $('regions').replaceChildren();
  $('overlay').replaceChildren();
  $('timing').textContent = '';
  $('show-original').checked = false;
  refreshUpload();
  setState(studio.loaded ? 'detecting' : 'loading');
  if (!studio.loaded) {
    $('progress').hidden = false;
    $('progress').value = 0;
    status('Loading the detector…');
  } else {
    status('Looking for regions…');
  }
  getWorker().postMessage({ type: 'detect', id, rgba: pixels.data.buffer, width: photo.width, height: photo.height, decodeMs }, [pixels.data.buffer]);
}

function detected(msg) {
  const { result, defaultPolicy, loadMs } = msg;
  const firstLoad = !studio.loaded;
  studio.loaded = true;
  studio.loadMs = loadMs;
  photo.result = result;
  studio.result = result;
  $('progress').hidden = true;
  setState('detected');
  const n = result.detections.length;
  const t = result.timing;
  const total = t.decode_ms + t.preprocess_ms + t.inference_ms + t.postprocess_ms;
  status(`Found ${n} region${n === 1 ? '' : 's'} on this device in ${ms(total)}${firstLoad ? ` (the detector loaded in ${ms(loadMs)})` : ''}.`);
  $('timing').textContent = `${photo.width}×${photo.height}: decode ${ms(t.decode_ms)}, preprocess ${ms(t.preprocess_ms)}, inference ${ms(t.inference_ms)}, postprocess ${ms(t.postprocess_ms)} (${result.model} on ${result.backend}).`;
  if (!policy) policy = { classes: { ...defaultPolicy.classes }, padding: defaultPolicy.padding };
  renderPolicy();
  renderRegions();
  $('policy-card').hidden = false;
  $('upload-card').hidden = false;
  redact();
}

// ---------- regions, policy, redaction ----------

const actionOf = (i) => (off.has(i) ? 'none' : policy.classes[photo.result.detections[i].class] || 'none');

/** The list of regions, one checkbox each (built once per photo). */
function renderRegions() {
  const dets = photo.result.detections;
  $('count').textContent = String(dets.length);
  $('none-found').hidden = dets.length > 0;
  $('regions').replaceChildren(...dets.map((d, i) => {
    const li = document.createElement('li');
    const lab = document.createElement('label');
    lab.className = 'check';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.dataset.index = String(i);
    box.addEventListener('change', () => { toggle(i, !box.checked); });
    const name = document.createElement('span');
    name.textContent = `${i + 1}. ${label(d.class)} (${Math.round(d.score * 100)} %)`;
    const act = document.createElement('span');
    act.className = 'action';
    lab.append(box, ' ', name, ' → ', act);
    li.append(lab);
    return li;
  }));
  updateRegions();
}

/** Each region's checkbox, action and outline, from `off` and the policy. */
function updateRegions() {
  for (const box of $('regions').querySelectorAll('input[data-index]')) {
    const i = Number(box.dataset.index);
    box.checked = !off.has(i);
    box.closest('label').querySelector('.action').textContent = actionOf(i);
  }
  drawOverlay();
}

function drawOverlay() {
  const svg = $('overlay');
  svg.setAttribute('viewBox', `0 0 ${photo.width} ${photo.height}`);
  svg.toggleAttribute('hidden', !$('outlines').checked);
  const stroke = Math.max(2, Math.round(Math.max(photo.width, photo.height) / 300));
  const font = Math.max(12, Math.round(Math.max(photo.width, photo.height) / 45));
  svg.replaceChildren(...photo.result.detections.map((d, i) => {
    const [x, y, w, h] = d.box;
    const g = document.createElementNS(SVG, 'g');
    g.setAttribute('class', actionOf(i) === 'none' ? 'region left' : 'region hidden-by-policy');
    const r = document.createElementNS(SVG, 'rect');
    Object.entries({ x, y, width: w, height: h, 'stroke-width': stroke }).forEach(([k, v]) => r.setAttribute(k, v));
    r.addEventListener('click', () => toggle(i, !off.has(i)));
    const t = document.createElementNS(SVG, 'text');
    Object.entries({ x: x + stroke, y: Math.max(font, y - stroke * 2), 'font-size': font }).forEach(([k, v]) => t.setAttribute(k, v));
    t.textContent = `${i + 1}. ${label(d.class)} ${Math.round(d.score * 100)}%`;
    g.append(r, t);
    return g;
  }));
}

function toggle(i, isOff) {
  if (isOff) off.add(i); else off.delete(i);
  updateRegions();
  redact();
}

function renderPolicy() {
  const present = [...new Set(photo.result.detections.map((d) => d.class))];
  const rows = present.map((cls) => {
    const id = `action-${cls}`;
    const row = document.createElement('div');
    row.className = 'field policy-row';
    const lab = document.createElement('label');
    lab.htmlFor = id;
    lab.textContent = label(cls);
    const sel = document.createElement('select');
    sel.id = id;
    sel.dataset.class = cls;
    for (const a of ACTIONS) {
      const o = document.createElement('option');
      o.value = a;
      o.textContent = a;
      sel.append(o);
    }
    sel.value = policy.classes[cls] === 'blur' ? 'blur:enhanced' : policy.classes[cls] || 'none';
    sel.addEventListener('change', () => { policy.classes[cls] = sel.value; updateRegions(); redact(); });
    row.append(lab, sel);
    return row;
  });
  const all = document.createElement('button');
  all.type = 'button';
  all.id = 'blur-all';
  all.textContent = 'Blur every region found';
  all.addEventListener('click', () => {
    for (const cls of present) policy.classes[cls] = 'blur:full';
    off = new Set();
    renderPolicy();
    updateRegions();
    redact();
    $('blur-all').focus();
  });
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.textContent = present.length ? 'Kinds of region not found in this photo keep the default policy.' : 'Nothing was found, so there is nothing to choose.';
  $('policy').replaceChildren(...rows, ...(present.length ? [all] : []), hint);
  $('padding').value = String(policy.padding);
  $('padding-value').textContent = `${Math.round(policy.padding * 100)} %`;
  $('policy-json').textContent = JSON.stringify(policy, null, 2);
}

/** Asks the worker for the photo with the current plan applied. */
function redact() {
  const plan = { detections: photo.result.detections, width: photo.width, height: photo.height, policy, off: [...off].sort((a, b) => a - b) };
  $('policy-json').textContent = JSON.stringify(policy, null, 2);
  wanted = ++seq;
  refreshUpload();
  status('Blurring on this device…');
  studio.redaction = { plan, pending: true };
  getWorker().postMessage({ type: 'redact', id: wanted, plan });
}

function shown(msg) {
  const data = new ImageData(new Uint8ClampedArray(msg.rgba), photo.width, photo.height);
  redacted = { data, id: msg.id };
  studio.redaction = { ...studio.redaction, pending: false, ms: msg.ms };
  setState('redacted');
  const n = photo.result.detections.filter((_, i) => actionOf(i) !== 'none').length;
  status(`${n} of ${photo.result.detections.length} region${photo.result.detections.length === 1 ? '' : 's'} hidden (${ms(msg.ms)}).`);
  paint();
  refreshUpload();
}

/** Draws what the person asked to see: the blurred photo, or the original. */
function paint() {
  const ctx = $('preview').getContext('2d', { willReadFrequently: true });
  if ($('show-original').checked || !redacted) ctx.drawImage(photo.bitmap, 0, 0);
  else ctx.putImageData(redacted.data, 0, 0);
}

// ---------- keeping the result ----------

const hiddenCount = () => (photo && photo.result ? photo.result.detections.filter((_, i) => actionOf(i) !== 'none').length : 0);
const ready = () => redacted && redacted.id === wanted && hiddenCount() > 0;

function refreshUpload() {
  const ok = ready();
  $('upload').disabled = !ok || !access;
  $('download').disabled = !ok;
  $('signed-out').hidden = !!access;
  $('upload-hint').textContent = !photo || !photo.result ? ''
    : hiddenCount() === 0 ? 'Nothing is hidden yet: choose an action for a region above. Until then there is nothing to upload.'
      : redacted && redacted.id === wanted ? `Uploads and saves exactly the blurred picture above (${photo.width}×${photo.height}, ${uploadType() === 'image/png' ? 'PNG' : 'JPEG'}), never the original.`
        : 'Blurring…';
}

/** The blurred photo as a file. */
function blurredBlob() {
  const c = document.createElement('canvas');
  c.width = photo.width;
  c.height = photo.height;
  c.getContext('2d').putImageData(redacted.data, 0, 0);
  return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode the picture'))), uploadType(), 0.9));
}

/** PNG for PNGs up to 4 MP (lossless, as chosen), JPEG q90 otherwise. */
const uploadType = () => (photo.type === 'image/png' && photo.width * photo.height <= 4_000_000 ? 'image/png' : 'image/jpeg');

const baseName = () => (photo.name.replace(/\.[^.]*$/, '') || 'photo');

async function download() {
  if (!ready()) return;
  const blob = await blurredBlob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${baseName()}-blurred.${blob.type === 'image/png' ? 'png' : 'jpg'}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function refresh() {
  const resp = await postJson('/api/v1/auth/refresh', {});
  if (!resp.ok) return null;
  return (await resp.json()).access_token;
}

async function upload() {
  if (!ready() || !access) return;
  const button = $('upload');
  button.disabled = true;
  $('error').hidden = true;
  $('upload-status').textContent = 'Uploading the blurred photo…';
  try {
    const blob = await blurredBlob();
    // The bytes themselves rather than the Blob: what is sent is then visible
    // to the browser's own network tooling (and to the page test's audit).
    const bytes = await blob.arrayBuffer();
    const send = () => fetch('/api/v1/assets', { method: 'POST', cache: 'no-store', headers: { Authorization: `Bearer ${access}`, 'Content-Type': blob.type }, body: bytes });
    let resp = await send();
    if (resp.status === 401) {
      access = await refresh();
      if (!access) throw new Error('your session has ended: sign in again, then upload');
      resp = await send();
    }
    if (!resp.ok) throw await apiError(resp);
    const asset = await resp.json();
    studio.upload = { id: asset.id, bytes: blob.size, type: blob.type };
    const a = document.createElement('a');
    a.href = asset.urls.original;
    a.textContent = 'Open it';
    $('upload-status').replaceChildren(`Uploaded: ${asset.id.slice(0, 12)}… (${mib(blob.size)}). `, a, '.');
  } catch (e) {
    $('upload-status').textContent = '';
    showError(e);
  } finally {
    refreshUpload();
  }
}

// ---------- wiring ----------

$('file').addEventListener('change', (e) => {
  const file = e.target.files && e.target.files[0];
  e.target.value = ''; // choosing the same file again analyses it again
  analyse(file);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  analyse(e.dataTransfer && e.dataTransfer.files[0]);
});
$('outlines').addEventListener('change', () => { $('overlay').toggleAttribute('hidden', !$('outlines').checked); });
$('show-original').addEventListener('change', () => { if (photo) paint(); });
$('padding').addEventListener('input', () => {
  if (!policy) return;
  policy.padding = Number($('padding').value);
  $('padding-value').textContent = `${Math.round(policy.padding * 100)} %`;
});
$('padding').addEventListener('change', () => { if (photo && photo.result) redact(); });
$('download').addEventListener('click', () => download().catch(showError));
$('upload').addEventListener('click', upload);

access = await refresh().catch(() => null);
studio.signedIn = !!access;
refreshUpload();
