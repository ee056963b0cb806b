//! Post-processing: NudeNet's `_postprocess` on the raw YOLOv8 output.

use serde::{Deserialize, Serialize};

use super::{Class, DetectError, IOU_THRESHOLD, Letterbox, MAX_DETECTIONS, NUM_CLASSES, OUTPUT_ROWS, PRE_THRESHOLD, SCORE_THRESHOLD};

/// A box in float pixels: top-left corner and size (OpenCV's `Rect2d`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct RectF {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// A box in whole original-image pixels: top-left corner and size, each
/// truncated toward zero from [`RectF`] like Python's `int()`. Serialises
/// as NudeNet's `[x, y, w, h]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "[i32; 4]", into = "[i32; 4]")]
pub struct BoxXywh {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl From<[i32; 4]> for BoxXywh {
    fn from([x, y, w, h]: [i32; 4]) -> BoxXywh {
        BoxXywh { x, y, w, h }
    }
}

impl From<BoxXywh> for [i32; 4] {
    fn from(b: BoxXywh) -> [i32; 4] {
        [b.x, b.y, b.w, b.h]
    }
}

impl From<RectF> for BoxXywh {
    /// Python's `int()` on each value (truncation toward zero).
    fn from(r: RectF) -> BoxXywh {
        BoxXywh { x: r.x as i32, y: r.y as i32, w: r.w as i32, h: r.h as i32 }
    }
}

/// One detected body part, shaped like an entry of NudeNet's `detect()`
/// result: `{"class": "FACE_FEMALE", "score": 0.87, "box": [x, y, w, h]}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The body part.
    pub class: Class,
    /// The class score, in `(0.25, 1]`.
    pub score: f32,
    /// The box in original-image pixels (serialised as `"box"`).
    #[serde(rename = "box")]
    pub bbox: BoxXywh,
}

/// OpenCV's `std::min`: `a` unless `b < a`.
fn cv_min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// Area of `a & b` as OpenCV computes it for `Rect2d` (0 when either box
/// is empty or they do not overlap).
fn intersection(a: &RectF, b: &RectF) -> f64 {
    let [ax, ay, aw, ah] = [a.x, a.y, a.w, a.h].map(f64::from);
    let [bx, by, bw, bh] = [b.x, b.y, b.w, b.h].map(f64::from);
    if aw <= 0.0 || ah <= 0.0 || bw <= 0.0 || bh <= 0.0 {
        return 0.0;
    }
    let ((x_min, w_min), (x_max, w_max)) = if ax < bx { ((ax, aw), (bx, bw)) } else { ((bx, bw), (ax, aw)) };
    let ((y_min, h_min), (y_max, h_max)) = if ay < by { ((ay, ah), (by, bh)) } else { ((by, bh), (ay, ah)) };
    if x_max - x_min < 0.0 || x_min + w_min <= x_max || y_min + h_min <= y_max {
        return 0.0;
    }
    let w = cv_min(w_min - (x_max - x_min), w_max);
    let h = cv_min(h_min - (y_max - y_min), h_max);
    if w <= 0.0 || h <= 0.0 { 0.0 } else { w * h }
}

/// Intersection over union of two boxes, as `cv2.dnn.NMSBoxes` computes it
/// (`Rect2d`, areas `w * h`, in `f64`, returned as `f32`). Two boxes whose
/// areas sum to (about) zero count as identical (IoU 1), like OpenCV's
/// `jaccardDistance`.
pub fn iou(a: &RectF, b: &RectF) -> f32 {
    let area_a = f64::from(a.w) * f64::from(a.h);
    let area_b = f64::from(b.w) * f64::from(b.h);
    if area_a + area_b <= f64::EPSILON {
        return 1.0;
    }
    let inter = intersection(a, b);
    let distance = 1.0 - inter / (area_a + area_b - inter);
    1.0 - distance as f32
}

/// Greedy non-maximum suppression with `cv2.dnn.NMSBoxes` semantics, over
/// all boxes together (class-agnostic, as NudeNet calls it): candidates with
/// `score > score_threshold` are taken in descending score order (ties in
/// index order); one is kept unless its [`iou`] with an already kept box is
/// greater than `iou_threshold` (or not a number). Returns the kept indices,
/// best first. Pairs beyond the shorter of `boxes` and `scores` are ignored.
pub fn nms(boxes: &[RectF], scores: &[f32], score_threshold: f32, iou_threshold: f32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len().min(scores.len())).filter(|&i| scores[i] > score_threshold).collect();
    // A stable sort, like OpenCV's std::stable_sort with `a.first > b.first`.
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept.iter().all(|&k| iou(&boxes[i], &boxes[k]) <= iou_threshold) {
            kept.push(i);
        }
    }
    kept
}

/// Turns the model output (`[1, 22, N]`, row-major: 4 box rows `cx, cy, w,
/// h` in 320-space, then 18 class-score rows) into detections in
/// original-image pixels, exactly as NudeNet 3.4.2 does: per anchor the best
/// class (first on ties) with score `>= 0.2`, the box mapped by
/// [`Letterbox::map_box`], class-agnostic [`nms`] with score `> 0.25` and
/// IoU `0.45`, then boxes truncated to integers. Best score first, at most
/// [`MAX_DETECTIONS`]. Anchors with a NaN score or a non-finite box value
/// are skipped.
pub fn postprocess(output: &[f32], shape: [usize; 3], letterbox: &Letterbox) -> Result<Vec<Detection>, DetectError> {
    if shape[0] != 1 || shape[1] != OUTPUT_ROWS {
        return Err(DetectError::OutputShape { shape });
    }
    let n = shape[2];
    let expected = n.saturating_mul(OUTPUT_ROWS);
    if output.len() != expected {
        return Err(DetectError::OutputLength { shape, expected, actual: output.len() });
    }

    let mut boxes = Vec::new();
    let mut scores = Vec::new();
    let mut classes = Vec::new();
    for i in 0..n {
        // np.amax / np.argmax over the 18 scores of this anchor.
        let mut best = f32::NEG_INFINITY;
        let mut best_class = 0;
        let mut nan = false;
        for c in 0..NUM_CLASSES {
            let s = output[(4 + c) * n + i];
            if s.is_nan() {
                nan = true;
                break;
            }
            if s > best {
                best = s;
                best_class = c;
            }
        }
        if nan || best < PRE_THRESHOLD {
            continue;
        }
        let [cx, cy, w, h] = [0, 1, 2, 3].map(|r| output[r * n + i]);
        if ![cx, cy, w, h].iter().all(|v| v.is_finite()) {
            continue;
        }
        let Some(class) = Class::from_index(best_class) else { continue };
        boxes.push(letterbox.map_box(cx, cy, w, h));
        scores.push(best);
        classes.push(class);
    }

    let kept = nms(&boxes, &scores, SCORE_THRESHOLD, IOU_THRESHOLD);
    Ok(kept.into_iter().take(MAX_DETECTIONS).map(|i| Detection { class: classes[i], score: scores[i], bbox: BoxXywh::from(boxes[i]) }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: fn(f32, f32, f32, f32) -> RectF = |x, y, w, h| RectF { x, y, w, h };

    /// A `[1, 22, n]` output with the given anchors: (cx, cy, w, h), class,
    /// score; every other score is 0.
    fn output(anchors: &[([f32; 4], usize, f32)]) -> (Vec<f32>, [usize; 3]) {
        let n = anchors.len();
        let mut out = vec![0.0; OUTPUT_ROWS * n];
        for (i, (b, class, score)) in anchors.iter().enumerate() {
            for r in 0..4 {
                out[r * n + i] = b[r];
            }
            out[(4 + class) * n + i] = *score;
        }
        (out, [1, OUTPUT_ROWS, n])
    }

    #[test]
    fn iou_matches_hand_computation() {
        let a = R(0.0, 0.0, 10.0, 10.0);
        assert_eq!(iou(&a, &a), 1.0);
        assert_eq!(iou(&a, &R(10.0, 0.0, 10.0, 10.0)), 0.0); // touching
        assert_eq!(iou(&a, &R(20.0, 20.0, 5.0, 5.0)), 0.0);
        assert!((iou(&a, &R(5.0, 0.0, 10.0, 10.0)) - 50.0 / 150.0).abs() < 1e-6);
        assert!((iou(&R(5.0, 0.0, 10.0, 10.0), &a) - 50.0 / 150.0).abs() < 1e-6);
        assert!((iou(&a, &R(2.0, 2.0, 4.0, 4.0)) - 0.16).abs() < 1e-6); // contained
        // Two empty boxes count as the same box (OpenCV's jaccardDistance).
        assert_eq!(iou(&R(1.0, 1.0, 0.0, 0.0), &R(50.0, 50.0, 0.0, 5.0)), 1.0);
        assert_eq!(iou(&R(1.0, 1.0, 0.0, 0.0), &a), 0.0);
    }

    #[test]
    fn nms_suppresses_overlaps_keeps_the_rest() {
        let boxes = [
            R(0.0, 0.0, 10.0, 10.0),   // 0: 0.6
            R(1.0, 0.0, 10.0, 10.0),   // 1: 0.9, IoU with 0 = 0.818
            R(50.0, 50.0, 10.0, 10.0), // 2: 0.5, apart
            R(5.0, 0.0, 10.0, 10.0),   // 3: 0.7, IoU with 1 = 0.6/1.4 ≈ 0.43 → kept
            R(0.0, 0.0, 10.0, 10.0),   // 4: 0.2, under the threshold
        ];
        let scores = [0.6, 0.9, 0.5, 0.7, 0.2];
        assert_eq!(nms(&boxes, &scores, 0.25, 0.45), vec![1, 3, 2]);
        // A stricter IoU threshold drops 3 as well.
        assert_eq!(nms(&boxes, &scores, 0.25, 0.4), vec![1, 2]);
        // IoU exactly at the threshold is kept (suppression needs `>`).
        let half = [R(0.0, 0.0, 10.0, 10.0), R(0.0, 0.0, 10.0, 5.0)];
        assert_eq!(nms(&half, &[0.9, 0.8], 0.25, 0.5), vec![0, 1]);
        // Equal scores: index order.
        assert_eq!(nms(&half, &[0.8, 0.8], 0.25, 0.4), vec![0]);
        assert_eq!(nms(&half, &[0.8, 0.8], 0.8, 0.4), Vec::<usize>::new());
    }

    #[test]
    fn nms_is_class_agnostic_like_nudenet() {
        // Two overlapping boxes of different classes: NudeNet calls
        // NMSBoxes once over all classes, so the weaker one goes.
        let (out, shape) = output(&[([100.0, 100.0, 40.0, 40.0], 1, 0.8), ([102.0, 100.0, 40.0, 40.0], 12, 0.6)]);
        let got = postprocess(&out, shape, &Letterbox::new(320, 320).unwrap()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].class, Class::FaceFemale);
    }

    #[test]
    fn postprocess_maps_filters_and_orders() {
        let lb = Letterbox::new(640, 480).unwrap(); // side 640, scale 2
        let (mut out, shape) = output(&[
            ([100.0, 60.0, 20.0, 30.0], 3, 0.70),   // kept
            ([200.0, 200.0, 20.0, 20.0], 7, 0.25),  // not > 0.25
            ([250.0, 100.0, 20.0, 20.0], 9, 0.251), // kept
            ([50.0, 200.0, 20.0, 20.0], 0, 0.22),   // >= 0.2 but not > 0.25
            ([300.0, 300.0, 20.0, 20.0], 4, 0.95),  // entirely in the bottom padding
        ]);
        // A second, lower class score on anchor 0 must not win.
        out[(4 + 5) * 5] = 0.5;
        let got = postprocess(&out, shape, &lb).unwrap();
        let summary: Vec<_> = got.iter().map(|d| (d.class, d.score, <[i32; 4]>::from(d.bbox))).collect();
        assert_eq!(
            summary,
            vec![
                // y clipped to 480 and h to 0, as NudeNet does.
                (Class::FemaleGenitaliaExposed, 0.95, [580, 480, 40, 0]),
                (Class::FemaleBreastExposed, 0.70, [180, 90, 40, 60]),
                (Class::FeetCovered, 0.251, [480, 180, 40, 40]),
            ]
        );
    }

    #[test]
    fn truncates_like_python_int() {
        let lb = Letterbox::new(300, 600).unwrap(); // scale 1.875
        let (out, shape) = output(&[([80.0, 160.0, 40.0, 64.0], 1, 0.9)]);
        let got = postprocess(&out, shape, &lb).unwrap();
        // x = 112.5, y = 240, w = 75, h = 120.
        assert_eq!(got[0].bbox, BoxXywh { x: 112, y: 240, w: 75, h: 120 });
    }

    #[test]
    fn caps_at_max_detections_best_first() {
        let anchors: Vec<_> = (0..150)
            .map(|i| {
                let (col, row) = ((i % 15) as f32, (i / 15) as f32);
                ([col * 20.0 + 10.0, row * 20.0 + 10.0, 10.0, 10.0], i % NUM_CLASSES, 0.3 + i as f32 * 0.004)
            })
            .collect();
        let (out, shape) = output(&anchors);
        let got = postprocess(&out, shape, &Letterbox::new(320, 320).unwrap()).unwrap();
        assert_eq!(got.len(), MAX_DETECTIONS);
        assert!(got.windows(2).all(|w| w[0].score > w[1].score));
        assert_eq!(got[0].score, anchors[149].2);
        assert_eq!(got[99].score, anchors[50].2);
    }

    #[test]
    fn skips_nan_and_handles_empty() {
        let lb = Letterbox::new(320, 320).unwrap();
        let (mut out, shape) = output(&[([100.0, 100.0, 10.0, 10.0], 2, 0.9), ([10.0, 10.0, 10.0, 10.0], 2, 0.9)]);
        out[(4 + 7) * 2] = f32::NAN; // anchor 0: a NaN score
        out[1] = f32::INFINITY; // anchor 1: a non-finite box
        assert_eq!(postprocess(&out, shape, &lb).unwrap(), vec![]);
        assert_eq!(postprocess(&[], [1, 22, 0], &lb).unwrap(), vec![]);
    }

    #[test]
    fn rejects_bad_shapes() {
        let lb = Letterbox::new(10, 10).unwrap();
        let data = vec![0.0; 22 * 2100];
        assert_eq!(postprocess(&data, [1, 2100, 22], &lb), Err(DetectError::OutputShape { shape: [1, 2100, 22] }));
        assert_eq!(postprocess(&data, [2, 22, 1050], &lb), Err(DetectError::OutputShape { shape: [2, 22, 1050] }));
        assert_eq!(postprocess(&data, [1, 84, 2100], &lb), Err(DetectError::OutputShape { shape: [1, 84, 2100] }));
        assert_eq!(postprocess(&data[1..], [1, 22, 2100], &lb), Err(DetectError::OutputLength { shape: [1, 22, 2100], expected: 46200, actual: 46199 }));
        assert_eq!(
            postprocess(&data, [1, 22, usize::MAX], &lb),
            Err(DetectError::OutputLength { shape: [1, 22, usize::MAX], expected: usize::MAX, actual: 46200 })
        );
        assert!(postprocess(&data, [1, 22, 2100], &lb).unwrap().is_empty());
    }

    #[test]
    fn json_matches_nudenet_shape() {
        let d = Detection { class: Class::FaceFemale, score: 0.5, bbox: BoxXywh { x: 1, y: 2, w: 30, h: 40 } };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, r#"{"class":"FACE_FEMALE","score":0.5,"box":[1,2,30,40]}"#);
        assert_eq!(serde_json::from_str::<Detection>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Detection>(r#"{"class":"FACE","score":0.5,"box":[1,2,3,4]}"#).is_err());
        assert!(serde_json::from_str::<Detection>(r#"{"class":"FACE_MALE","score":0.5,"box":[1,2,3]}"#).is_err());
    }
}
