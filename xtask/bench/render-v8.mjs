// Times the shared crate's pipeline as wasm in node (V8, the engine workerd
// runs the Worker on), for `cargo xtask bench transform`: the render alone,
// with no HTTP, D1 or R2. Prints one JSON object.
import { readFile } from 'node:fs/promises';

const [, , wasmPath, photo, options, runsArg] = process.argv;
const runs = Number(runsArg || 15);
const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {});
const { edgepix_alloc: alloc, edgepix_render: render, memory } = instance.exports;
const put = (bytes) => {
  const at = alloc(bytes.length);
  new Uint8Array(memory.buffer, at, bytes.length).set(bytes);
  return at;
};
const src = await readFile(photo);
const opts = new TextEncoder().encode(options);
const [srcAt, optsAt] = [put(src), put(opts)];

const times = [];
let bytes = 0n;
// Three runs first: V8 compiles hot functions again, optimised, as they run.
for (let i = 0; i < runs + 3; i++) {
  const t0 = performance.now();
  bytes = render(srcAt, src.length, optsAt, opts.length);
  if (i >= 3) times.push(performance.now() - t0);
}
if (bytes < 0n) throw new Error(`${options}: refused`);
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[times.length >> 1], bytes: Number(bytes) }));
