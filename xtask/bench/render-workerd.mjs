// Times the shared crate's pipeline as wasm in workerd itself, for `cargo
// xtask bench transform`: the Worker's runtime, without the HTTP, D1 and R2
// around a Worker's render. workerd runs wasm with every memory access
// bounds-checked (node's V8 uses guard pages), so the same module is slower
// there; this row shows by how much. A probe Worker under `workerd serve`
// (the binary wrangler runs) renders the photo it is posted. Prints one
// JSON object, as render-v8.mjs does.
//
//   node render-workerd.mjs RENDER.wasm PHOTO OPTIONS RUNS
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [, , wasmPath, photo, options, runsArg] = process.argv;
const runs = Number(runsArg || 15);
const workerd = fileURLToPath(new URL('../../node_modules/.bin/workerd', import.meta.url));

// Renders the posted image `runs` times after three warm-up renders (V8
// compiles hot functions again, optimised, as they run); answers the
// median. workerd's clock moves in whole milliseconds, so the mean too.
const probe = `import module from './render.wasm';
export default {
  async fetch(req) {
    const url = new URL(req.url);
    const runs = Number(url.searchParams.get('runs'));
    const options = new TextEncoder().encode(url.searchParams.get('options'));
    const src = new Uint8Array(await req.arrayBuffer());
    const { exports } = await WebAssembly.instantiate(module, {});
    const put = (bytes) => {
      const at = exports.edgepix_alloc(bytes.length);
      new Uint8Array(exports.memory.buffer, at, bytes.length).set(bytes);
      return at;
    };
    const [srcAt, optsAt] = [put(src), put(options)];
    const times = [];
    let bytes = 0n;
    for (let i = 0; i < runs + 3; i++) {
      const t0 = performance.now();
      bytes = exports.edgepix_render(srcAt, src.length, optsAt, options.length);
      if (i >= 3) times.push(performance.now() - t0);
    }
    if (bytes < 0n) return new Response('refused', { status: 422 });
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    return Response.json({ median_ms: times[times.length >> 1], mean_ms: mean, bytes: Number(bytes) });
  },
};
`;

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

const dir = await mkdtemp(join(tmpdir(), 'edgepix-render-workerd-'));
const port = await freePort();
await copyFile(wasmPath, join(dir, 'render.wasm'));
await writeFile(join(dir, 'probe.mjs'), probe);
await writeFile(
  join(dir, 'config.capnp'),
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "probe", worker = .probe) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "probe") ],
);
const probe :Workerd.Worker = (
  modules = [ (name = "probe.mjs", esModule = embed "probe.mjs"), (name = "./render.wasm", wasm = embed "render.wasm") ],
  compatibilityDate = "2025-09-01",
);
`,
);
const child = spawn(workerd, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
try {
  const body = await readFile(photo);
  const url = `http://127.0.0.1:${port}/?runs=${runs}&options=${encodeURIComponent(options)}`;
  let resp;
  for (let attempt = 0; ; attempt++) {
    try {
      resp = await fetch(url, { method: 'POST', body });
      break;
    } catch (e) {
      if (attempt >= 100 || child.exitCode !== null) throw new Error(`workerd did not answer: ${e.message}\n${stderr}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  if (resp.status !== 200) throw new Error(`${options}: ${resp.status} ${await resp.text()}`);
  console.log(JSON.stringify(await resp.json()));
} finally {
  child.kill();
  await rm(dir, { recursive: true, force: true });
}
