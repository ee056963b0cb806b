#!/usr/bin/env bash
# Writes the seed corpora under fuzz/corpus/<target>/ (git-ignored).
# Usage: fuzz/seed.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")"
PHOTOS=${EDGEPIX_PHOTOS:-/root/.cache/edgepix/photos}
EXIF_TESTS=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/kamadak-exif-0.6.*/tests 2>/dev/null | head -1 || true)
mkdir -p corpus/options corpus/decode corpus/transform

# options: one option string per file.
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" > "corpus/options/seed$(printf %02d "$i")"
done <<'OPTS'
width=100,height=50,fit=cover
w=10,f=auto,q=high
blur-region=1;2;3;4;5
background=%23ff000080
trim=1;2;3;4
gravity=0.5x0.25
dpr=2.5,rotate=90,flip=hv
original
width=auto,height=auto,fit=scale-down
fit=pad,background=rgb%28240%2C40%2C145%29,w=400,h=400
background=rgba(10,20,30,0.5)
background=rgb(10%25 20%25 30%25 / 0.5)
pixelate-region=0;0;100000;100000;256,blur-region=5;5;10;10;250
sharpen=1.25,brightness=.5,contrast=2.,gamma=0,saturation=0
quality=medium-low,format=baseline-jpeg,metadata=keep,anim=false
onerror=redirect,policy=thumb-2x
blur=0,pixelate=8,g=face
fit=aspect-crop,gravity=left,w=12000,h=1
trim=0;0;0;0,flip=vh,rotate=270,dpr=0.1
background=transparent,format=json,q=100
trim=border
OPTS

# decode: the small real photos, kamadak-exif's tiny test images (a JPEG
# with EXIF, a 1-bit palette PNG, a WebP) and generated tiny images.
for f in rocket.jpg chelsea.png grace_hopper.jpg; do
    [ -f "$PHOTOS/$f" ] && cp "$PHOTOS/$f" corpus/decode/ || echo "missing $PHOTOS/$f" >&2
done
if [ -n "$EXIF_TESTS" ]; then
    for f in exif.jpg exif.png exif.webp; do cp "$EXIF_TESTS/$f" "corpus/decode/kamadak-$f"; done
fi
python3 - corpus/decode <<'PY'
import base64, struct, sys, zlib
out = sys.argv[1]

def png(name, w, h, depth, color, rows, interlace=0, extra=b""):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + r for r in rows)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace))
    data += extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(f"{out}/{name}", "wb").write(data)

png("rgba8-2x2.png", 2, 2, 8, 6, [bytes([255, 0, 0, 255, 0, 255, 0, 128])] * 2)
png("rgb16-2x1.png", 2, 1, 16, 2, [bytes(range(12))])
png("grey8-3x2.png", 3, 2, 8, 0, [b"\x00\x80\xff"] * 2)
png("greyalpha8-1x1.png", 1, 1, 8, 4, [b"\x40\x80"])
png("palette-trns-2x2.png", 2, 2, 8, 3, [b"\x00\x01"] * 2,
    extra=(lambda p, t: p + t)(
        struct.pack(">I", 6) + b"PLTE" + b"\xff\x00\x00\x00\x00\xff" + struct.pack(">I", zlib.crc32(b"PLTE\xff\x00\x00\x00\x00\xff") & 0xFFFFFFFF),
        struct.pack(">I", 1) + b"tRNS" + b"\x00" + struct.pack(">I", zlib.crc32(b"tRNS\x00") & 0xFFFFFFFF)))
png("adam7-rgb-3x3.png", 3, 3, 8, 2, [bytes(range(9))] * 3, interlace=1)

def gif(name, sw, sh, left, top, fw, fh, pixels):
    # LZW with a 2-bit minimum code size, clearing every two literals so the
    # code width stays at 3 bits.
    codes, n = [4], 0
    for p in pixels:
        codes.append(p); n += 1
        if n == 2:
            codes.append(4); n = 0
    codes.append(5)
    bits = acc = 0; lzw = bytearray()
    for c in codes:
        acc |= c << bits; bits += 3
        while bits >= 8:
            lzw.append(acc & 0xFF); acc >>= 8; bits -= 8
    if bits:
        lzw.append(acc & 0xFF)
    data = b"GIF89a" + struct.pack("<HHBBB", sw, sh, 0x81, 0, 0)  # 4-colour global table
    data += b"\x00\x00\x00\xff\x00\x00\x00\xff\x00\x00\x00\xff"
    data += b"\x21\xf9\x04\x01\x00\x00\x00\x00"  # colour 0 transparent
    data += b"\x2c" + struct.pack("<HHHHB", left, top, fw, fh, 0) + b"\x02"
    for i in range(0, len(lzw), 255):
        part = lzw[i:i + 255]; data += bytes([len(part)]) + part
    data += b"\x00\x3b"
    open(f"{out}/{name}", "wb").write(data)

gif("offset-frame-4x4.gif", 4, 4, 1, 1, 2, 2, [1, 2, 3, 1])
gif("frame-past-screen-2x2.gif", 2, 2, 1, 1, 3, 3, [1, 2, 3] * 3)
open(f"{out}/classic-1x1.gif", "wb").write(
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
# A 1x1 lossless WebP.
open(f"{out}/vp8l-1x1.webp", "wb").write(base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="))
PY

# transform: "OPTIONS\nIMAGE".
for img in corpus/decode/*; do
    case "$img" in *rocket.jpg|*chelsea.png|*grace_hopper.jpg) continue ;; esac
    b=$(basename "$img")
    { printf 'width=3,height=2,fit=pad,background=%%2300ff0080,blur-region=0;0;1;1;2\n'; cat "$img"; } > "corpus/transform/pad-$b"
    { printf 'w=1,rotate=90,flip=h,trim=0;1;0;0,pixelate=2,sharpen=2,f=png\n'; cat "$img"; } > "corpus/transform/rot-$b"
    { printf 'format=json\n'; cat "$img"; } > "corpus/transform/json-$b"
    # A JPEG into a JPEG or a WebP, only cropped and resampled: the YCbCr path.
    { printf 'width=17,height=9,fit=cover,format=jpeg\n'; cat "$img"; } > "corpus/transform/ycc-$b"
    { printf 'width=15,height=7,fit=cover,format=webp\n'; cat "$img"; } > "corpus/transform/yccw-$b"
done
echo "seeds: $(ls corpus/options | wc -l) options, $(ls corpus/decode | wc -l) decode, $(ls corpus/transform | wc -l) transform"
