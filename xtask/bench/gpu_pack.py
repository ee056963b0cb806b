"""Packs what `inference_gpu.sh` needs to run the inference benchmark on a
GPU machine that reaches no package registry: ONNX Runtime's CUDA build,
the pool, the models, NudeNet (for its Python detector) and the photos.

usage: gpu_pack.py OUT_DIR POOL_BIN PHOTOS_DIR MODELS_DIR
                   [--parity TEST_BIN REFERENCE_DIR] [--sm SM]

With --parity, the pack also holds the parity test (`cargo test --release
-p edgepix-e2e --test parity --no-run` prints its file) and the reference
outputs that `cargo xtask parity` wrote (target/parity), so that the GPU's
detections and masks are checked against NudeNet's and @imgly's too.

Everything comes from the registries (PyPI wheels, and the models that
`cargo xtask setup` assembled from them). The CUDA execution provider
(`libonnxruntime_providers_cuda.so`, 284 MB) holds machine code for six GPU
generations; only the one for compute capability SM (default 90: Hopper,
the H100 and H200) is kept, the others are zeroed in place, so that the
file compresses to about 50 MB and every offset in it stays. The CUDA
runtime picks a fatbin entry by the GPU's compute capability, so a zeroed
entry is never read on that GPU.

The pack is one tar, cut into OUT_DIR/part-1, part-2, ...: each fits one
transfer of at most 64 MiB (`inference_gpu.sh stage` puts them together).
"""

import argparse
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile

ORT_GPU = "onnxruntime-gpu==1.31.1"
NUDENET = "nudenet==3.4.2"
FATBIN_MAGIC = 0xBA55ED50
# One transfer carries at most 64 MiB, the checkout (a few MiB) included.
PART = 59 << 20


def download(requirement, dest):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--python-version", "3.12", "--implementation", "cp",
         "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
         "-d", dest, requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_")
    return next(os.path.join(dest, f) for f in os.listdir(dest) if f.startswith(name) and f.endswith(".whl"))


def section(elf, wanted):
    """(offset, size) of the ELF64 section named `wanted`."""
    shoff = struct.unpack_from("<Q", elf, 0x28)[0]
    entsize, count, names = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", elf, shoff + i * entsize) for i in range(count)]
    strtab = headers[names][4]
    for name, _, _, _, offset, size in headers:
        end = elf.index(b"\0", strtab + name)
        if elf[strtab + name:end].decode() == wanted:
            return offset, size
    raise SystemExit(f"no {wanted} section")


def keep_only_sm(elf, sm):
    """Zeroes every fatbin entry in `.nv_fatbin` that is not for `sm`;
    returns (kept, zeroed) bytes."""
    start, size = section(elf, ".nv_fatbin")
    pos, end, kept, zeroed = start, start + size, 0, 0
    while pos < end:
        magic, _, header, fat = struct.unpack_from("<IHHQ", elf, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # fatbins are 8-byte aligned
            continue
        entry, stop = pos + header, pos + header + fat
        while entry < stop:
            _, _, entry_header, padded, _, _, _, _, arch = struct.unpack_from("<HHIIIIIII", elf, entry)
            payload = entry + entry_header
            if arch == sm:
                kept += padded
            else:
                elf[payload:payload + padded] = bytes(padded)
                zeroed += padded
            entry = payload + padded
        pos = stop
    if kept == 0:
        raise SystemExit(f"no machine code for sm_{sm} in the CUDA provider")
    return kept, zeroed


def xz(data, path):
    with open(path, "wb") as f:
        f.write(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))


def main():
    args = argparse.ArgumentParser(description="Packs the inference benchmark for a GPU machine.")
    args.add_argument("out")
    args.add_argument("pool")
    args.add_argument("photos")
    args.add_argument("models")
    args.add_argument("--parity", nargs=2, metavar=("TEST_BIN", "REFERENCE_DIR"))
    args.add_argument("--sm", type=int, default=90)
    a = args.parse_args()
    out, pool, photos, models, sm = a.out, a.pool, a.photos, a.models, a.sm
    shutil.rmtree(out, ignore_errors=True)
    pack = os.path.join(out, "pack")
    os.makedirs(os.path.join(pack, "models"))
    cache = os.path.join(os.path.expanduser("~/.cache/edgepix"), "wheels-gpu")
    os.makedirs(cache, exist_ok=True)
    with zipfile.ZipFile(download(ORT_GPU, cache)) as whl:
        capi = "onnxruntime/capi/"
        cuda = bytearray(whl.read(capi + "libonnxruntime_providers_cuda.so"))
        kept, zeroed = keep_only_sm(cuda, sm)
        print(f"CUDA provider: kept {kept >> 20} MiB for sm_{sm}, zeroed {zeroed >> 20} MiB", file=sys.stderr)
        xz(bytes(cuda), os.path.join(pack, "libonnxruntime_providers_cuda.so.xz"))
        lib = next(n for n in whl.namelist() if n.startswith(capi + "libonnxruntime.so."))
        xz(whl.read(lib), os.path.join(pack, "libonnxruntime.so.xz"))
        with open(os.path.join(pack, "libonnxruntime_providers_shared.so"), "wb") as f:
            f.write(whl.read(capi + "libonnxruntime_providers_shared.so"))
    shutil.copy(download(NUDENET, cache), pack)
    for name in ["nudenet-320n.onnx", "isnet-medium.onnx"]:
        with open(os.path.join(models, name), "rb") as f:
            xz(f.read(), os.path.join(pack, "models", name + ".xz"))
    with open(pool, "rb") as f:
        xz(f.read(), os.path.join(pack, "edgepix-pool.xz"))
    shutil.copytree(photos, os.path.join(pack, "photos"))
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "inference.py"), pack)
    if a.parity:
        test, reference = a.parity
        with open(test, "rb") as f:
            xz(f.read(), os.path.join(pack, "parity-test.xz"))
        shutil.copytree(reference, os.path.join(pack, "parity"))
    tar = os.path.join(out, "pack.tar")
    with tarfile.open(tar, "w") as t:
        t.add(pack, arcname="pack")
    with open(tar, "rb") as f:
        n = 0
        while chunk := f.read(PART):
            n += 1
            with open(os.path.join(out, f"part-{n}"), "wb") as p:
                p.write(chunk)
    print(f"{os.path.getsize(tar) / 2**20:.1f} MiB in {n} parts: {out}/part-1 .. part-{n}", file=sys.stderr)


if __name__ == "__main__":
    main()
