//! Body-part detection pre- and post-processing (NudeNet 3.4 compatible).
//!
//! The model itself (NudeNet's `320n.onnx`, a YOLOv8n with 18 classes) runs
//! elsewhere (tract in the function pool, the browser's runtime on the
//! client); this module does what `nudenet/nudenet.py` 3.4.2 does around it,
//! step for step, so that every tier reports the same detections:
//!
//! - [`preprocess`]: pad the image with black at the **bottom and right** to
//!   a square (`cv2.copyMakeBorder`), resize the square to 320x320 with
//!   OpenCV's `INTER_LINEAR` (half-pixel centres, 11-bit fixed-point weights,
//!   no antialiasing), scale by 1/255, and lay it out NCHW with the planes in
//!   **B, G, R** order (NudeNet's `cvtColor(COLOR_RGBA2BGR)` swaps a BGR
//!   image to RGB and `blobFromImage(swapRB=True)` swaps it back).
//! - [`postprocess`]: per anchor take the best class score, keep scores
//!   `>= 0.2`, map the box to original pixels (`* side / 320`, no padding
//!   offset since the padding is at the bottom/right), clip the left/top edge
//!   into the image and the size to the image's remaining extent, then run
//!   `cv2.dnn.NMSBoxes(boxes, scores, 0.25, 0.45)` once over **all classes
//!   together** (class-agnostic; score strictly `> 0.25`; suppress when IoU
//!   `> 0.45`), and truncate the boxes to integers `[x, y, w, h]`.
//!
//! [`Detection`] serialises like an entry of NudeNet's `detect()` result:
//! `{"class": "FACE_FEMALE", "score": 0.87, "box": [x, y, w, h]}`.

mod class;
mod post;
mod pre;

pub use class::{CLASSES, Class, NUM_CLASSES};
pub use post::{BoxXywh, Detection, RectF, iou, nms, postprocess};
pub use pre::{Letterbox, PixelFormat, preprocess, preprocess_into, preprocess_rgba};

use thiserror::Error;

/// The side of the model's square input, in pixels (NudeNet's `320n` model).
pub const INPUT_SIZE: u32 = 320;

/// Floats in one input tensor: `1 x 3 x 320 x 320`.
pub const INPUT_LEN: usize = 3 * (INPUT_SIZE as usize) * (INPUT_SIZE as usize);

/// Values per anchor in the model output: 4 box values, then the class scores.
pub const OUTPUT_ROWS: usize = 4 + NUM_CLASSES;

/// NudeNet's first filter: anchors whose best class score is below this are
/// dropped before NMS (`max_score >= 0.2`).
pub const PRE_THRESHOLD: f32 = 0.2;

/// The score threshold given to `cv2.dnn.NMSBoxes`: a detection is kept only
/// when its score is strictly greater.
pub const SCORE_THRESHOLD: f32 = 0.25;

/// The NMS IoU threshold: a box whose IoU with a kept, higher-scoring box is
/// strictly greater than this is suppressed.
pub const IOU_THRESHOLD: f32 = 0.45;

/// The most detections [`postprocess`] returns (the best-scoring ones).
/// NudeNet itself has no cap; class-agnostic NMS over 2100 anchors leaves far
/// fewer in practice, so this only bounds pathological outputs.
pub const MAX_DETECTIONS: usize = 100;

/// Why detection pre- or post-processing refused its input.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DetectError {
    /// A side of the image is zero.
    #[error("the image is {width}x{height}; both sides must be at least 1")]
    EmptyImage {
        /// The image width.
        width: u32,
        /// The image height.
        height: u32,
    },
    /// The pixel buffer's length does not match the dimensions.
    #[error("the pixel buffer holds {actual} bytes, but {width}x{height} needs {expected}")]
    BufferSize {
        /// The image width.
        width: u32,
        /// The image height.
        height: u32,
        /// The bytes needed (`usize::MAX` if that overflows).
        expected: usize,
        /// The bytes given.
        actual: usize,
    },
    /// The tensor buffer handed to [`preprocess_into`] has the wrong length.
    #[error("the input tensor buffer holds {actual} floats, but needs {}", INPUT_LEN)]
    TensorSize {
        /// The floats given.
        actual: usize,
    },
    /// The model output's shape is not `[1, 22, N]`.
    #[error("the model output has shape {shape:?}, expected [1, {}, N]", OUTPUT_ROWS)]
    OutputShape {
        /// The shape given.
        shape: [usize; 3],
    },
    /// The model output's length does not match its shape.
    #[error("the model output holds {actual} floats, but shape {shape:?} needs {expected}")]
    OutputLength {
        /// The shape given.
        shape: [usize; 3],
        /// The floats needed (`usize::MAX` if that overflows).
        expected: usize,
        /// The floats given.
        actual: usize,
    },
}
