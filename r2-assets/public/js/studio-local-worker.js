// Private mode's Web Worker (r2-assets/templates/studio-local.html): holds
// the photo's pixels, runs NudeNet's detector (the detector module,
// /detect/, with /models/320n.onnx) and the safe-blur (the browser module's
// applyPolicy, /pkg/), so the page stays responsive. Nothing here sends the
// pixels anywhere: the only requests are for the two modules and the model.
//
// Messages in:  {type: 'detect', id, rgba: ArrayBuffer, width, height, decodeMs}
//               {type: 'redact', id, plan}
// Messages out: {type: 'progress', what, loaded, total}
//               {type: 'detected', id, result, defaultPolicy, loadMs}
//               {type: 'redacted', id, rgba: ArrayBuffer, ms}
//               {type: 'error', id, message}

const DETECT_JS = '/detect/edgepix_detect.js';
const DETECT_WASM = '/detect/edgepix_detect_bg.wasm';
const MODEL = '/models/320n.onnx';
const CLIENT_JS = '/pkg/edgepix_client.js';

let detector = null;   // the promise of {detector, defaultPolicy, loadMs}
let client = null;     // the promise of the browser module
let photo = null;      // {rgba: Uint8Array, width, height}

/** The bytes at `url`, reporting progress as `what`. */
async function download(url, what) {
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`${url} answered ${resp.status}`);
  const total = Number(resp.headers.get('content-length')) || 0;
  if (!resp.body) return new Uint8Array(await resp.arrayBuffer());
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    postMessage({ type: 'progress', what, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

/** The detector module and the model, fetched and compiled once. */
function loadDetector() {
  detector ??= (async () => {
    const started = performance.now();
    const [mod, wasm, model] = await Promise.all([import(DETECT_JS), download(DETECT_WASM, 'module'), download(MODEL, 'model')]);
    postMessage({ type: 'progress', what: 'compile', loaded: 0, total: 0 });
    await mod.default({ module_or_path: wasm });
    const d = mod.Detector.load(model);
    return { detector: d, defaultPolicy: JSON.parse(mod.defaultPolicy()), loadMs: performance.now() - started, compileMs: d.loadMs };
  })();
  // A failed load may be retried with the next photo.
  detector.catch(() => { detector = null; });
  return detector;
}

function loadClient() {
  client ??= import(CLIENT_JS).then(async (m) => { await m.default(); return m; });
  client.catch(() => { client = null; });
  return client;
}

async function handle(msg) {
  if (msg.type === 'detect') {
    photo = { rgba: new Uint8Array(msg.rgba), width: msg.width, height: msg.height };
    const [{ detector: d, defaultPolicy, loadMs, compileMs }] = await Promise.all([loadDetector(), loadClient()]);
    const result = d.detect(photo.rgba, photo.width, photo.height);
    result.timing.decode_ms = msg.decodeMs;
    postMessage({ type: 'detected', id: msg.id, result, defaultPolicy, loadMs, compileMs });
  } else if (msg.type === 'redact') {
    if (!photo) throw new Error('no photo to redact');
    const m = await loadClient();
    if (typeof m.applyPolicy !== 'function') throw new Error('this build of the browser module has no applyPolicy');
    const started = performance.now();
    const out = m.applyPolicy(photo.rgba, photo.width, photo.height, msg.plan);
    const rgba = out.buffer.byteLength === out.length ? out.buffer : out.slice().buffer;
    postMessage({ type: 'redacted', id: msg.id, rgba, ms: performance.now() - started }, [rgba]);
  }
}

// One message at a time, in order: a redaction never races a detection.
let queue = Promise.resolve();
onmessage = (e) => {
  const msg = e.data;
  queue = queue.then(() => handle(msg)).catch((err) => postMessage({ type: 'error', id: msg.id, message: err && err.message ? err.message : String(err) }));
};
