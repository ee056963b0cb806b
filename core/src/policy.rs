//! Safe-blur policies: what to do with each detected body part.
//!
//! A policy maps each of NudeNet's 18 classes to an [`Action`] (`none`,
//! `blur` with a [`Strength`], `pixelate`, `box`), plus a padding around
//! each box. [`Policy::plan`] turns detections into [`Redaction`]s in the
//! image's pixels, which the transformation pipeline applies.
//!
//! Blur strengths are the seed product's OpenCV `GaussianBlur` settings
//! (kernel / sigma: `standard` 23 / 30, `enhanced` 31 / 50, `full` 99 / 75),
//! defined for an image whose longer side is [`REFERENCE_SIDE`] pixels and
//! scaled by `longer side / REFERENCE_SIDE` (kernel kept odd), so that the
//! effect looks the same at any resolution.
//!
//! JSON, as `PUT /api/v1/policies/{name}` takes it:
//! `{"classes": {"FACE_FEMALE": "blur:full", "MALE_GENITALIA_EXPOSED": "box"}, "padding": 0.1}`;
//! classes left out keep the default action ([`Policy::default`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::detect::{Class, Detection};
use crate::pixel::Rect;

/// The longer side, in pixels, for which the strengths' kernels are given.
pub const REFERENCE_SIDE: u32 = 1024;

/// The largest padding, as a fraction of the box's size on each side.
pub const MAX_PADDING: f32 = 0.5;

/// How strongly to blur.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    /// Kernel 23, sigma 30.
    Standard,
    /// Kernel 31, sigma 50.
    Enhanced,
    /// Kernel 99, sigma 75.
    Full,
}

impl Strength {
    /// OpenCV kernel size and sigma at [`REFERENCE_SIDE`].
    pub fn kernel_sigma(self) -> (u32, f32) {
        match self {
            Strength::Standard => (23, 30.0),
            Strength::Enhanced => (31, 50.0),
            Strength::Full => (99, 75.0),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Strength::Standard => "standard",
            Strength::Enhanced => "enhanced",
            Strength::Full => "full",
        }
    }
}

/// What to do with a detected region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave it.
    None,
    /// A gaussian blur.
    Blur(Strength),
    /// Square cells of its average colour.
    Pixelate,
    /// A solid black box.
    Box,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::None => f.write_str("none"),
            Action::Blur(s) => write!(f, "blur:{}", s.as_str()),
            Action::Pixelate => f.write_str("pixelate"),
            Action::Box => f.write_str("box"),
        }
    }
}

impl std::str::FromStr for Action {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Action, PolicyError> {
        Ok(match s {
            "none" => Action::None,
            "blur" | "blur:enhanced" => Action::Blur(Strength::Enhanced),
            "blur:standard" => Action::Blur(Strength::Standard),
            "blur:full" => Action::Blur(Strength::Full),
            "pixelate" => Action::Pixelate,
            "box" => Action::Box,
            other => return Err(PolicyError::Action(other.to_owned())),
        })
    }
}

/// Why a policy was refused.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PolicyError {
    /// Not JSON of the documented shape.
    #[error("the policy is not valid JSON of the form {{\"classes\": {{CLASS: ACTION}}, \"padding\": 0.1}}: {0}")]
    Shape(String),
    /// An unknown class name.
    #[error("unknown class {0:?}; classes are NudeNet's: FEMALE_GENITALIA_COVERED, FACE_FEMALE, ...")]
    Class(String),
    /// An unknown action.
    #[error("unknown action {0:?}; actions are: none, blur (= blur:enhanced), blur:standard, blur:enhanced, blur:full, pixelate, box")]
    Action(String),
    /// Padding out of range.
    #[error("padding {0} is outside 0 to 0.5")]
    Padding(f32),
}

/// A complete policy: an action for every class, and a padding.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    actions: [Action; crate::detect::NUM_CLASSES],
    padding: f32,
}

impl Default for Policy {
    /// The seed's default: exposed classes blurred `enhanced`; covered
    /// classes and faces left alone; 5 % padding.
    fn default() -> Policy {
        let actions = Class::ALL.map(|c| if c.is_exposed() { Action::Blur(Strength::Enhanced) } else { Action::None });
        Policy { actions, padding: 0.05 }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    classes: BTreeMap<String, String>,
    #[serde(default)]
    padding: Option<f32>,
}

impl Policy {
    /// Parses the JSON form; classes left out keep the default action.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let wire: Wire = serde_json::from_str(text).map_err(|e| PolicyError::Shape(e.to_string()))?;
        let mut policy = Policy::default();
        for (name, action) in &wire.classes {
            let class = Class::from_name(name).ok_or_else(|| PolicyError::Class(name.clone()))?;
            policy.actions[class.index()] = action.parse()?;
        }
        if let Some(p) = wire.padding {
            if !(0.0..=MAX_PADDING).contains(&p) {
                return Err(PolicyError::Padding(p));
            }
            policy.padding = p;
        }
        Ok(policy)
    }

    /// The JSON form, every class listed (canonical: same policy, same text).
    pub fn to_json(&self) -> String {
        let classes = Class::ALL.iter().map(|c| (c.as_str().to_owned(), self.actions[c.index()].to_string())).collect();
        serde_json::to_string(&Wire { classes, padding: Some(self.padding) }).unwrap_or_default()
    }

    /// The action for `class`.
    pub fn action(&self, class: Class) -> Action {
        self.actions[class.index()]
    }

    /// The redactions for `detections` on a `width x height` image (the
    /// pixels the detections are in), boxes padded and clipped.
    pub fn plan(&self, detections: &[Detection], width: u32, height: u32) -> Vec<Redaction> {
        let scale = width.max(height) as f32 / REFERENCE_SIDE as f32;
        detections
            .iter()
            .filter_map(|d| {
                let effect = match self.action(d.class) {
                    Action::None => return None,
                    Action::Blur(s) => {
                        let (k, sigma) = s.kernel_sigma();
                        Effect::Blur { kernel: ((k as f32 * scale).round() as u32 | 1).max(3), sigma: sigma * scale }
                    }
                    Action::Pixelate => Effect::Pixelate { cell: ((16.0 * scale).round() as u32).max(2) },
                    Action::Box => Effect::Fill([0, 0, 0, 255]),
                };
                let b = d.bbox;
                let (pw, ph) = (b.w.max(0) as f32 * self.padding, b.h.max(0) as f32 * self.padding);
                let x0 = (b.x as f32 - pw).floor().max(0.0) as u32;
                let y0 = (b.y as f32 - ph).floor().max(0.0) as u32;
                let x1 = ((b.x + b.w) as f32 + pw).ceil().max(0.0) as u32;
                let y1 = ((b.y + b.h) as f32 + ph).ceil().max(0.0) as u32;
                let rect = Rect { x: x0, y: y0, w: x1.saturating_sub(x0), h: y1.saturating_sub(y0) }.clamp_to(width, height);
                (!rect.is_empty()).then_some(Redaction { rect, effect })
            })
            .collect()
    }
}

/// What a [`Redaction`] does, in the pixels of the image it was planned for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Effect {
    /// [`crate::transform::effects::gaussian`] with this kernel and sigma.
    Blur {
        /// Kernel taps (odd).
        kernel: u32,
        /// Standard deviation, pixels.
        sigma: f32,
    },
    /// Cells of this size.
    Pixelate {
        /// Cell side, pixels.
        cell: u32,
    },
    /// A solid colour.
    Fill([u8; 4]),
}

/// One region to redact, in upright image pixels (after EXIF orientation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Redaction {
    /// Where.
    pub rect: Rect,
    /// What.
    pub effect: Effect,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BoxXywh;

    fn det(class: Class, x: i32, y: i32, w: i32, h: i32) -> Detection {
        Detection { class, score: 0.9, bbox: BoxXywh { x, y, w, h } }
    }

    #[test]
    fn the_default_blurs_exposed_parts_and_leaves_faces() {
        let p = Policy::default();
        assert_eq!(p.action(Class::FaceFemale), Action::None);
        assert_eq!(p.action(Class::FemaleBreastExposed), Action::Blur(Strength::Enhanced));
        assert_eq!(p.action(Class::FemaleBreastCovered), Action::None);
    }

    #[test]
    fn json_round_trips_and_errors_name_the_problem() {
        let p = Policy::from_json(r#"{"classes": {"FACE_FEMALE": "blur:full", "BELLY_EXPOSED": "box"}, "padding": 0.2}"#).unwrap();
        assert_eq!(p.action(Class::FaceFemale), Action::Blur(Strength::Full));
        assert_eq!(Policy::from_json(&p.to_json()).unwrap(), p);
        assert_eq!(Policy::from_json("{}").unwrap(), Policy::default());
        assert_eq!(Policy::from_json(r#"{"classes": {"FACE": "box"}}"#), Err(PolicyError::Class("FACE".into())));
        assert_eq!(Policy::from_json(r#"{"classes": {"FACE_MALE": "smudge"}}"#), Err(PolicyError::Action("smudge".into())));
        assert_eq!(Policy::from_json(r#"{"padding": 2}"#), Err(PolicyError::Padding(2.0)));
        assert!(matches!(Policy::from_json(r#"{"colour": 1}"#), Err(PolicyError::Shape(_))));
        assert!(matches!(Policy::from_json("[1]"), Err(PolicyError::Shape(_))));
    }

    #[test]
    fn plans_pad_clip_and_scale_with_the_image() {
        let p = Policy::from_json(r#"{"classes": {"FACE_FEMALE": "blur:full", "FACE_MALE": "pixelate", "ARMPITS_EXPOSED": "box"}, "padding": 0.1}"#).unwrap();
        let dets = [det(Class::FaceFemale, 100, 100, 100, 50), det(Class::FaceMale, 1000, 700, 100, 100), det(Class::FemaleBreastCovered, 0, 0, 9, 9), det(Class::ArmpitsExposed, -5, -5, 20, 20)];
        let plan = p.plan(&dets, 2048, 768);
        assert_eq!(plan.len(), 3, "covered parts are left");
        assert_eq!(plan[0].rect, Rect { x: 90, y: 95, w: 120, h: 60 });
        // 2048 px is twice the reference: kernel 99 -> 199, sigma 75 -> 150.
        assert_eq!(plan[0].effect, Effect::Blur { kernel: 199, sigma: 150.0 });
        assert_eq!(plan[1].rect, Rect { x: 990, y: 690, w: 120, h: 78 }, "clipped to the image");
        assert_eq!(plan[1].effect, Effect::Pixelate { cell: 32 });
        assert_eq!(plan[2].rect, Rect { x: 0, y: 0, w: 17, h: 17 });
        assert_eq!(plan[2].effect, Effect::Fill([0, 0, 0, 255]));
        let small = p.plan(&dets[..1], 512, 256);
        assert_eq!(small[0].effect, Effect::Blur { kernel: 51, sigma: 37.5 });
    }
}
