"""Reference outputs for `cargo xtask parity`: NudeNet's own detector and
@imgly's ISNet preprocessing on ONNX Runtime, over the test photos.

usage: reference.py PHOTOS_DIR ISNET_MODEL OUT_DIR

Writes the detector's inputs to OUT_DIR/inputs/ (the photos, and
variants of the two portraits: mirrored, scaled, cropped, a collage, so
that more boxes and classes are compared), OUT_DIR/nudenet.json
({input: NudeDetector.detect(input)}) and, per photo, OUT_DIR/<photo>.mask
(the 8-bit mask, row-major, at the photo's size) with OUT_DIR/masks.json
({photo: [width, height]}).
"""

import json
import os
import sys

import cv2
import numpy as np
import onnxruntime as ort
from nudenet import NudeDetector

DETECT = ["astronaut.png", "coffee.png", "chelsea.png", "motorcycle_left.png", "grace_hopper.jpg", "rocket.jpg"]
SEGMENT = ["chelsea.png", "coffee.png", "astronaut.png", "motorcycle_left.png"]


def imgly_resize(img, new_w, new_h):
    """@imgly/background-removal's tensorResizeBilinear (HWC uint8): the
    sample for output x is source x * w / new_w, corners at the top left,
    Math.round."""
    h, w, _ = img.shape
    sx = np.arange(new_w, dtype=np.float64) * (w / new_w)
    sy = np.arange(new_h, dtype=np.float64) * (h / new_h)
    x1 = np.floor(sx).astype(np.int64)
    x2 = np.minimum(np.ceil(sx).astype(np.int64), w - 1)
    y1 = np.floor(sy).astype(np.int64)
    y2 = np.minimum(np.ceil(sy).astype(np.int64), h - 1)
    dx = (sx - x1)[None, :, None]
    dy = (sy - y1)[:, None, None]
    f = img.astype(np.float64)
    p1 = f[y1][:, x1]
    p2 = f[y1][:, x2]
    p3 = f[y2][:, x1]
    p4 = f[y2][:, x2]
    v = (1 - dx) * (1 - dy) * p1 + dx * (1 - dy) * p2 + (1 - dx) * dy * p3 + dx * dy * p4
    return np.floor(v + 0.5).astype(np.uint8)


def isnet_mask(session, path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    rgba = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGBA)
    h, w, _ = rgba.shape
    resized = imgly_resize(rgba, 1024, 1024)
    x = ((resized[:, :, :3].astype(np.float32) - 128.0) / 256.0).transpose(2, 0, 1)[None]
    out = session.run(["output"], {"input": x})[0][0, 0]
    mask = np.clip(out.astype(np.float64) * 255.0, 0, 255).astype(np.uint8)
    return imgly_resize(mask[:, :, None], w, h)[:, :, 0], w, h


def variants(photos, inputs):
    """Writes the detector's inputs (lossless PNG) and returns their names."""
    names = []
    for name in DETECT:
        with open(os.path.join(photos, name), "rb") as src, open(os.path.join(inputs, name), "wb") as dst:
            dst.write(src.read())
        names.append(name)
    read = lambda n: cv2.imread(os.path.join(photos, n), cv2.IMREAD_COLOR)
    astronaut, hopper = read("astronaut.png"), read("grace_hopper.jpg")
    made = {
        "astronaut-mirrored.png": cv2.flip(astronaut, 1),
        "astronaut-half.png": cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA),
        "astronaut-upper.png": astronaut[0:300, 80:420],
        "astronaut-wide.png": cv2.copyMakeBorder(astronaut, 0, 0, 300, 300, cv2.BORDER_REFLECT),
        "hopper-mirrored.png": cv2.flip(hopper, 1),
        "hopper-large.png": cv2.resize(hopper, (hopper.shape[1] * 3 // 2, hopper.shape[0] * 3 // 2), interpolation=cv2.INTER_CUBIC),
        "hopper-face.png": hopper[60:420, 80:440],
        "collage.png": np.hstack([cv2.resize(astronaut, (400, 400)), cv2.resize(hopper, (330, 400))]),
    }
    for name, img in made.items():
        cv2.imwrite(os.path.join(inputs, name), img)
        names.append(name)
    return names


def main():
    photos, isnet, out = sys.argv[1:4]
    inputs = os.path.join(out, "inputs")
    os.makedirs(inputs, exist_ok=True)
    detector = NudeDetector()
    detections = {name: detector.detect(os.path.join(inputs, name)) for name in variants(photos, inputs)}
    with open(os.path.join(out, "nudenet.json"), "w") as f:
        json.dump(detections, f, default=float, indent=1)
    session = ort.InferenceSession(isnet, providers=["CPUExecutionProvider"])
    sizes = {}
    for name in SEGMENT:
        mask, w, h = isnet_mask(session, os.path.join(photos, name))
        mask.tofile(os.path.join(out, name + ".mask"))
        sizes[name] = [w, h]
    with open(os.path.join(out, "masks.json"), "w") as f:
        json.dump(sizes, f)


if __name__ == "__main__":
    main()
