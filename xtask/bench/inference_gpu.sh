#!/usr/bin/env bash
# The inference benchmark on a GPU machine with no registry, from the pack
# that gpu_pack.py makes, cut into parts that each fit one transfer:
#
#   inference_gpu.sh stage PART   appends one part to $WORK/pack.tar
#   inference_gpu.sh run [RUNS]   unpacks the pack, starts the pool with ONNX
#                                 Runtime on CUDA (DEVICE, default cuda) and
#                                 tract, runs inference.py against it and
#                                 prints its JSON (logs on stderr), then the
#                                 parity test when the pack holds it
#
# The machine needs Python 3.12 with numpy, opencv and onnxruntime (for
# NudeNet-Python) and CUDA 13's cuBLAS, cuRAND, cuFFT, cuDNN 9 and runtime
# libraries under Python's site-packages (the nvidia-* wheels) or CUDA's.
set -euo pipefail
WORK=${WORK:-/tmp/edgepix-gpu}
mkdir -p "$WORK"

unxz_to() { python3 -c 'import lzma,sys; open(sys.argv[2],"wb").write(lzma.open(sys.argv[1]).read())' "$1" "$2"; }

case "${1:-}" in
stage)
    cat "$2" >>"$WORK/pack.tar"
    ls -l "$WORK/pack.tar"
    ;;
run)
    runs=${2:-15}
    if [ ! -d "$WORK/pack" ]; then
        tar -xf "$WORK/pack.tar" -C "$WORK"
        pack=$WORK/pack
        mkdir -p "$WORK/lib" "$WORK/models"
        unxz_to "$pack/libonnxruntime_providers_cuda.so.xz" "$WORK/lib/libonnxruntime_providers_cuda.so"
        unxz_to "$pack/libonnxruntime.so.xz" "$WORK/lib/libonnxruntime.so"
        cp "$pack/libonnxruntime_providers_shared.so" "$WORK/lib/"
        for m in "$pack"/models/*.xz; do unxz_to "$m" "$WORK/models/$(basename "$m" .xz)"; done
        unxz_to "$pack/edgepix-pool.xz" "$WORK/edgepix-pool"
        chmod +x "$WORK/edgepix-pool"
        python3 -m pip install -q --upgrade --no-index --no-deps --no-compile --target "$WORK/site" "$pack"/nudenet-*.whl
    fi
    pack=$WORK/pack
    export PYTHONPATH=$WORK/site
    # The CUDA libraries' folders (the nvidia-* wheels beside PyTorch).
    site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
    libs=$(find "$site" /usr/local/cuda*/lib64 \( -name 'libcudart.so.13' -o -name 'libcublas.so.13' -o -name 'libcublasLt.so.13' \
        -o -name 'libcurand.so.10' -o -name 'libcufft.so.12' -o -name 'libcudnn.so.9' \) -printf '%h\n' 2>/dev/null | sort -u | paste -sd:) || true
    export LD_LIBRARY_PATH=$WORK/lib:$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true
    secret=$(python3 -c 'import os; print(os.urandom(32).hex())')
    POOL_SECRET=$secret "$WORK/edgepix-pool" --addr 127.0.0.1:8790 --models "$WORK/models" \
        --backends onnxruntime,tract --onnxruntime "$WORK/lib/libonnxruntime.so" --device "${DEVICE:-cuda}" >"$WORK/pool.log" 2>&1 &
    pool=$!
    trap 'kill $pool 2>/dev/null || true' EXIT
    for _ in $(seq 240); do
        curl -fsS http://127.0.0.1:8790/healthz >"$WORK/healthz.json" 2>/dev/null && break
        kill -0 $pool 2>/dev/null || { cat "$WORK/pool.log" >&2; exit 1; }
        sleep 0.5
    done
    cat "$WORK/healthz.json" >&2
    echo >&2
    echo "pool RSS after load: $(awk '/VmRSS/ {print $2 / 1024 " MiB"}' /proc/$pool/status)" >&2
    python3 "$pack/inference.py" http://127.0.0.1:8790 - "$secret" "$pack/photos" "$WORK/models/isnet-medium.onnx" "$runs"
    if [ -f "$pack/parity-test.xz" ]; then
        unxz_to "$pack/parity-test.xz" "$WORK/parity-test"
        chmod +x "$WORK/parity-test"
        rm -rf "$WORK/parity" && cp -r "$pack/parity" "$WORK/parity"
        EDGEPIX_PARITY_DIR=$WORK/parity EDGEPIX_POOL_URL=http://127.0.0.1:8790 EDGEPIX_POOL_SECRET=$secret \
            EDGEPIX_PHOTOS=$pack/photos "$WORK/parity-test" --nocapture >&2
    fi
    nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader >&2 || true
    echo "pool RSS after the runs: $(awk '/VmRSS/ {print $2 / 1024 " MiB"}' /proc/$pool/status)" >&2
    ;;
*)
    echo "usage: $0 stage PART | run [RUNS]" >&2
    exit 2
    ;;
esac
