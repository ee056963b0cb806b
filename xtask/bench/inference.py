"""`cargo xtask bench inference`: the pool against NudeNet-Python, on the
same photos, the same machine, in one run. Timings are printed, never
asserted.

usage: inference.py POOL_URL SPIN_URL|- SECRET PHOTOS_DIR ISNET_MODEL|- RUNS

With `-` for SPIN_URL or ISNET_MODEL, the Spin component or segmentation
is left out (the GPU run, `inference_gpu.sh`, has neither).

Prints one JSON object (the xtask formats it).
"""

import concurrent.futures
import hashlib
import hmac
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

import cv2
import numpy as np
import onnxruntime as ort
from nudenet import NudeDetector

PHOTOS = ["astronaut.png", "grace_hopper.jpg", "coffee.png", "chelsea.png", "motorcycle_left.png", "rocket.jpg"]


_local = threading.local()


def post(base, target, body, secret):
    """A request signed as the Worker signs it (edgepix_core::signing), on a
    kept-alive connection per thread (as the Worker's fetch keeps them)."""
    t = str(int(time.time()))
    nonce = os.urandom(16).hex()
    msg = "\n".join(["POST", target, hashlib.sha256(body).hexdigest(), t, nonce]).encode()
    sig = hmac.new(secret, msg, hashlib.sha256).hexdigest()
    conns = _local.__dict__.setdefault("conns", {})
    if base not in conns:
        conns[base] = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=120)
    conn = conns[base]
    conn.request("POST", target, body=body, headers={"x-edgepix-signature": f"t={t},n={nonce},s={sig}"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"{target}: {r.status} {data[:200]!r}")
    return data


def median_ms(f, runs):
    f()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    pool, spin, secret, photos, isnet, runs = sys.argv[1:7]
    secret, runs = secret.encode(), int(runs)
    bodies = {n: open(os.path.join(photos, n), "rb").read() for n in PHOTOS}
    detector = NudeDetector()
    # The pool's backends as it names them (`onnxruntime-cuda` on a GPU).
    with urllib.request.urlopen(f"{pool}/healthz") as r:
        backends = json.load(r)["backends"]
    result = {"photos": [], "backends": backends}
    for name in PHOTOS:
        path = os.path.join(photos, name)
        row = {"photo": name, "size": list(cv2.imread(path).shape[1::-1])}
        row["nudenet_python"] = median_ms(lambda: detector.detect(path), runs)
        for backend in backends:
            row[backend] = median_ms(lambda: post(pool, f"/v1/detect?backend={backend}", bodies[name], secret), runs)
        if spin != "-":
            row["spin"] = median_ms(lambda: post(spin, "/v1/detect", bodies[name], secret), max(3, runs // 3))
        result["photos"].append(row)

    # Throughput: the pool's full concurrency kept busy by twice as many
    # clients, 120 detections over the photos.
    jobs = [bodies[PHOTOS[i % len(PHOTOS)]] for i in range(120)]
    workers = 2 * (os.cpu_count() or 1)
    for backend in backends:
        t = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(workers) as ex:
            list(ex.map(lambda b: post(pool, f"/v1/detect?backend={backend}", b, secret), jobs))
        result[f"throughput_{backend}_per_min"] = len(jobs) / (time.perf_counter() - t) * 60
    t = time.perf_counter()
    for b in jobs[:30]:
        detector.detect(b)
    result["throughput_nudenet_python_per_min"] = 30 / (time.perf_counter() - t) * 60

    if isnet != "-":
        segment(result, pool, secret, photos, isnet, runs)
    print(json.dumps(result))


def segment(result, pool, secret, photos, isnet, runs):
    """Segmentation of a 1024 px photo (chelsea, scaled to 1024 wide)."""
    cat = cv2.imread(os.path.join(photos, "chelsea.png"))
    cat = cv2.resize(cat, (1024, round(cat.shape[0] * 1024 / cat.shape[1])), interpolation=cv2.INTER_CUBIC)
    png = cv2.imencode(".png", cat)[1].tobytes()
    seg_runs = max(3, runs // 3)
    result["segment_size"] = list(cat.shape[1::-1])
    result["segment_pool_ms"] = median_ms(lambda: post(pool, "/v1/segment?output=cutout", png, secret), seg_runs)
    session = ort.InferenceSession(isnet, providers=["CPUExecutionProvider"])
    x = np.zeros((1, 3, 1024, 1024), np.float32)
    result["segment_python_model_only_ms"] = median_ms(lambda: session.run(["output"], {"input": x}), seg_runs)


if __name__ == "__main__":
    main()
