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
//! `{"classes": {"FACE_FEMALE": "blur:full", "MALE_GENITALIA_EXPOSED": "box"}, "padding": 0.1, "reveal": ["FACE_FEMALE"]}`;
//! classes left out keep the default action ([`Policy::default`]);
//! `reveal` lists the classes whose redacted regions a public viewer may
//! tap to see (none by default).
//!
//! [`apply`] carries out a plan on pixels; the Worker's pipeline and the
//! browser module both call it, so a preview is the served image, byte for
//! byte, when both start from the same pixels.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::detect::{Class, Detection};
use crate::jobs::Analysis;
use crate::pixel::{Rect, RgbaImage};
use crate::transform::effects;

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
    /// A class listed in `reveal` whose action is `none` (nothing to reveal).
    #[error("reveal lists {0}, whose action is none: only redacted classes can be revealed")]
    RevealUnredacted(String),
}

/// A complete policy: an action for every class, and a padding.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    actions: [Action; crate::detect::NUM_CLASSES],
    padding: f32,
    reveal: [bool; crate::detect::NUM_CLASSES],
}

impl Default for Policy {
    /// The seed's default: exposed classes blurred `enhanced`; covered
    /// classes and faces left alone; 5 % padding.
    fn default() -> Policy {
        let actions = Class::ALL.map(|c| if c.is_exposed() { Action::Blur(Strength::Enhanced) } else { Action::None });
        Policy { actions, padding: 0.05, reveal: [false; crate::detect::NUM_CLASSES] }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    classes: BTreeMap<String, String>,
    #[serde(default)]
    padding: Option<f32>,
    #[serde(default)]
    reveal: Vec<String>,
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
        for name in &wire.reveal {
            let class = Class::from_name(name).ok_or_else(|| PolicyError::Class(name.clone()))?;
            if policy.action(class) == Action::None {
                return Err(PolicyError::RevealUnredacted(name.clone()));
            }
            policy.reveal[class.index()] = true;
        }
        Ok(policy)
    }

    /// The JSON form, every class listed (canonical: same policy, same text).
    pub fn to_json(&self) -> String {
        let classes = Class::ALL.iter().map(|c| (c.as_str().to_owned(), self.actions[c.index()].to_string())).collect();
        let reveal = Class::ALL.iter().filter(|c| self.reveal[c.index()]).map(|c| c.as_str().to_owned()).collect();
        serde_json::to_string(&Wire { classes, padding: Some(self.padding), reveal }).unwrap_or_default()
    }

    /// Whether a public viewer may reveal a region of `class` (the policy
    /// redacts it and lists it under `reveal`).
    pub fn reveals(&self, class: Class) -> bool {
        self.reveal[class.index()] && self.action(class) != Action::None
    }

    /// The action for `class`.
    pub fn action(&self, class: Class) -> Action {
        self.actions[class.index()]
    }

    /// The redactions for `detections` on a `width x height` image (the
    /// pixels the detections are in), boxes padded and clipped.
    pub fn plan(&self, detections: &[Detection], width: u32, height: u32) -> Vec<Redaction> {
        detections.iter().filter_map(|d| self.redaction(d, width, height)).collect()
    }

    /// The redactions for `analysis` (in its pixels), leaving out the
    /// detections the creator switched off and `except` (a region being
    /// revealed).
    pub fn plan_analysis(&self, analysis: &Analysis, except: Option<usize>) -> Vec<Redaction> {
        analysis
            .detections
            .iter()
            .enumerate()
            .filter(|&(i, _)| !analysis.is_off(i) && except != Some(i))
            .filter_map(|(_, d)| self.redaction(d, analysis.width, analysis.height))
            .collect()
    }

    /// The regions of `analysis` a public viewer may reveal: redacted, not
    /// switched off, and of a class the policy lists under `reveal`.
    pub fn revealable(&self, analysis: &Analysis) -> Vec<Revealable> {
        (0..analysis.detections.len()).filter_map(|i| self.reveal_region(analysis, i).ok()).collect()
    }

    /// Region `index` of `analysis`, if a public viewer may reveal it.
    pub fn reveal_region(&self, analysis: &Analysis, index: usize) -> Result<Revealable, RevealError> {
        let d = analysis.detections.get(index).ok_or(RevealError::NoRegion { index, count: analysis.detections.len() })?;
        if analysis.is_off(index) || self.redaction(d, analysis.width, analysis.height).is_none() {
            return Err(RevealError::NotRedacted { index });
        }
        if !self.reveals(d.class) {
            return Err(RevealError::NotAllowed { index, class: d.class.as_str() });
        }
        Ok(Revealable { index, class: d.class, rect: self.region(d, analysis.width, analysis.height) })
    }

    /// The region a detection covers once padded and clipped to the
    /// `width x height` image, whatever its action (the region a viewer
    /// taps, and a reveal crops).
    pub fn region(&self, d: &Detection, width: u32, height: u32) -> Rect {
        let b = d.bbox;
        let (pw, ph) = (b.w.max(0) as f32 * self.padding, b.h.max(0) as f32 * self.padding);
        let x0 = (b.x as f32 - pw).floor().max(0.0) as u32;
        let y0 = (b.y as f32 - ph).floor().max(0.0) as u32;
        let x1 = ((b.x + b.w) as f32 + pw).ceil().max(0.0) as u32;
        let y1 = ((b.y + b.h) as f32 + ph).ceil().max(0.0) as u32;
        Rect { x: x0, y: y0, w: x1.saturating_sub(x0), h: y1.saturating_sub(y0) }.clamp_to(width, height)
    }

    /// The redaction of one detection, if its class has an action and its
    /// region is not empty.
    pub fn redaction(&self, d: &Detection, width: u32, height: u32) -> Option<Redaction> {
        let scale = width.max(height) as f32 / REFERENCE_SIDE as f32;
        let effect = match self.action(d.class) {
            Action::None => return None,
            Action::Blur(s) => {
                let (k, sigma) = s.kernel_sigma();
                Effect::Blur { kernel: ((k as f32 * scale).round() as u32 | 1).max(3), sigma: sigma * scale }
            }
            Action::Pixelate => Effect::Pixelate { cell: ((16.0 * scale).round() as u32).max(2) },
            Action::Box => Effect::Fill([0, 0, 0, 255]),
        };
        let rect = self.region(d, width, height);
        (!rect.is_empty()).then_some(Redaction { rect, effect })
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

/// A region a public viewer may reveal ("tap to reveal").
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Revealable {
    /// The detection's index in its analysis.
    pub index: usize,
    /// What was detected.
    pub class: Class,
    /// Where, padded, in the analysis' (upright original) pixels.
    pub rect: Rect,
}

/// Why a region cannot be revealed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RevealError {
    /// No such detection.
    #[error("region {index} does not exist: the analysis has {count} detections")]
    NoRegion {
        /// The index asked for.
        index: usize,
        /// The detections.
        count: usize,
    },
    /// The policy leaves the region as it is: nothing to reveal.
    #[error("region {index} is not redacted by this policy; the served image already shows it")]
    NotRedacted {
        /// The index asked for.
        index: usize,
    },
    /// The creator does not allow revealing this class.
    #[error("the creator's policy does not allow revealing region {index} ({class})")]
    NotAllowed {
        /// The index asked for.
        index: usize,
        /// Its class.
        class: &'static str,
    },
}

/// Carries out `redactions`, planned on a `planned.0 x planned.1` image,
/// on `img`: the same picture at `img`'s size. Rects are scaled outwards
/// and kernels, sigmas and cells by `img.width() / planned.0`, in plan
/// order (a later redaction works on the earlier ones' output).
pub fn apply(img: &mut RgbaImage, redactions: &[Redaction], planned: (u32, u32)) {
    if planned.0 == 0 || planned.1 == 0 {
        return;
    }
    let kx = f64::from(img.width()) / f64::from(planned.0);
    let ky = f64::from(img.height()) / f64::from(planned.1);
    for r in redactions {
        let rect = r.rect.clamp_to(planned.0, planned.1);
        if rect.is_empty() {
            continue;
        }
        let rect = rect.scaled(kx, ky);
        match r.effect {
            Effect::Blur { kernel, sigma } => effects::gaussian(img, rect, ((f64::from(kernel) * kx).round() as u32) | 1, sigma * kx as f32),
            Effect::Pixelate { cell } => {
                // A region clipped to the image cannot fail.
                let _ = img.view_mut().pixelate(rect, ((f64::from(cell) * kx).round() as u32).max(1));
            }
            Effect::Fill(color) => effects::fill(img, rect, color),
        }
    }
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

    fn analysis(detections: Vec<Detection>, off: Vec<u32>) -> Analysis {
        Analysis { asset: "a".into(), version: "v1".into(), model: "m".into(), width: 400, height: 300, analyzed_at: 0, detections, off }
    }

    #[test]
    fn reveal_lists_only_redacted_classes_and_round_trips() {
        let p = Policy::from_json(r#"{"classes": {"FACE_FEMALE": "blur:full"}, "reveal": ["FACE_FEMALE", "BELLY_EXPOSED"]}"#).unwrap();
        assert!(p.reveals(Class::FaceFemale));
        assert!(p.reveals(Class::BellyExposed), "exposed classes are blurred by default");
        assert!(!p.reveals(Class::ButtocksExposed));
        assert_eq!(Policy::from_json(&p.to_json()).unwrap(), p);
        assert!(p.to_json().contains(r#""reveal":["BELLY_EXPOSED","FACE_FEMALE"]"#) || p.to_json().contains(r#""reveal":["FACE_FEMALE","BELLY_EXPOSED"]"#));
        assert_eq!(Policy::from_json(r#"{"reveal": ["FACE_MALE"]}"#), Err(PolicyError::RevealUnredacted("FACE_MALE".into())));
        assert_eq!(Policy::from_json(r#"{"reveal": ["NOSE"]}"#), Err(PolicyError::Class("NOSE".into())));
        assert!(!Policy::default().reveals(Class::BellyExposed), "nothing is revealable by default");
    }

    #[test]
    fn switched_off_and_revealed_regions_are_left_out_of_the_plan() {
        let p = Policy::from_json(r#"{"classes": {"FACE_FEMALE": "box", "FACE_MALE": "pixelate"}, "padding": 0, "reveal": ["FACE_FEMALE"]}"#).unwrap();
        let dets = vec![det(Class::FaceFemale, 10, 10, 50, 50), det(Class::FaceMale, 100, 100, 40, 40), det(Class::FaceFemale, 200, 50, 30, 30)];
        let a = analysis(dets.clone(), vec![]);
        assert_eq!(p.plan_analysis(&a, None).len(), 3);
        assert_eq!(p.plan_analysis(&a, Some(0)).iter().map(|r| r.rect.x).collect::<Vec<_>>(), [100, 200]);
        let a = analysis(dets, vec![2]);
        assert_eq!(p.plan_analysis(&a, None).len(), 2);
        let shown: Vec<usize> = p.revealable(&a).iter().map(|r| r.index).collect();
        assert_eq!(shown, [0], "region 1 is not revealable, region 2 is switched off");
        assert_eq!(p.reveal_region(&a, 0).unwrap().rect, Rect { x: 10, y: 10, w: 50, h: 50 });
        assert_eq!(p.reveal_region(&a, 1), Err(RevealError::NotAllowed { index: 1, class: "FACE_MALE" }));
        assert_eq!(p.reveal_region(&a, 2), Err(RevealError::NotRedacted { index: 2 }));
        assert_eq!(p.reveal_region(&a, 3), Err(RevealError::NoRegion { index: 3, count: 3 }));
    }

    #[test]
    fn apply_scales_the_plan_to_the_pixels_it_is_given() {
        // A plan made for 400x300, applied to the same picture at 200x150:
        // the box lands on the scaled rectangle, nothing else changes.
        let p = Policy::from_json(r#"{"classes": {"FACE_FEMALE": "box"}, "padding": 0}"#).unwrap();
        let plan = p.plan(&[det(Class::FaceFemale, 100, 60, 40, 20)], 400, 300);
        let mut img = RgbaImage::filled(200, 150, [200, 180, 160, 255]);
        apply(&mut img, &plan, (400, 300));
        let px = |x: usize, y: usize| img.data()[(y * 200 + x) * 4];
        assert_eq!(px(50, 30), 0);
        assert_eq!(px(69, 39), 0);
        assert_eq!(px(70, 40), 200);
        assert_eq!(px(49, 30), 200);
        // A blur leaves a flat picture flat, and the same plan on the same
        // pixels gives the same bytes (what the browser's preview relies on).
        let blur = Policy::from_json(r#"{"classes": {"FACE_FEMALE": "blur:full"}}"#).unwrap().plan(&[det(Class::FaceFemale, 10, 10, 300, 200)], 400, 300);
        let mut a = RgbaImage::from_vec(400, 300, (0..400 * 300 * 4).map(|i| (i * 7 % 251) as u8).collect()).unwrap();
        let mut b = a.clone();
        apply(&mut a, &blur, (400, 300));
        apply(&mut b, &blur, (400, 300));
        assert_eq!(a, b);
        let mut flat = RgbaImage::filled(400, 300, [9, 9, 9, 255]);
        apply(&mut flat, &blur, (400, 300));
        assert_eq!(flat, RgbaImage::filled(400, 300, [9, 9, 9, 255]));
    }

}
