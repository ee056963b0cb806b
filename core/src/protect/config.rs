//! A protected asset's settings, as the owner sends them in JSON:
//! `{"noiseLevel": 0.2, "segmentCount": 32, "rotation": true,
//! "overlayComplexity": 1, "watermark": true}`. Every field may be left out
//! (its default applies); unknown fields and out-of-range values are
//! refused with a message naming the field and its range.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The smallest accepted `noiseLevel`.
pub const NOISE_LEVEL_MIN: f32 = 0.1;
/// The largest accepted `noiseLevel`.
pub const NOISE_LEVEL_MAX: f32 = 0.3;
/// The smallest accepted `segmentCount`.
pub const SEGMENT_COUNT_MIN: u32 = 16;
/// The largest accepted `segmentCount`.
pub const SEGMENT_COUNT_MAX: u32 = 64;
/// The largest accepted `overlayComplexity`.
pub const OVERLAY_COMPLEXITY_MAX: u8 = 4;

/// Why a configuration was refused.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not a JSON object of the known fields with the right types.
    #[error("invalid protection config: {0}")]
    Json(String),
    /// `noiseLevel` out of range or not a finite number.
    #[error("noiseLevel must be between 0.1 and 0.3, got {0}")]
    NoiseLevel(f64),
    /// `segmentCount` out of range.
    #[error("segmentCount must be between 16 and 64, got {0}")]
    SegmentCount(i64),
    /// `overlayComplexity` out of range.
    #[error("overlayComplexity must be between 0 and 4, got {0}")]
    OverlayComplexity(i64),
}

/// How an asset is protected.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Raw", into = "Raw")]
pub struct ProtectionConfig {
    /// Per-viewer noise strength, 0.1 to 0.3 (higher is noisier); see
    /// [`super::noise`].
    pub noise_level: f32,
    /// Tiles along the longer side of the view, 16 to 64; see
    /// [`super::grid::Grid`].
    pub segment_count: u32,
    /// Whether scrambled tiles are also turned by quarter turns.
    pub rotation: bool,
    /// Families of overlay lines, 0 (none) to 4; see [`super::overlay`].
    pub overlay_complexity: u8,
    /// Whether the browser embeds a forensic watermark.
    pub watermark: bool,
}

impl Default for ProtectionConfig {
    /// Noise 0.2, 32 segments, rotation on, overlay complexity 1, watermark on.
    fn default() -> ProtectionConfig {
        ProtectionConfig { noise_level: 0.2, segment_count: 32, rotation: true, overlay_complexity: 1, watermark: true }
    }
}

/// The JSON shape, with wide types so out-of-range values get our message.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct Raw {
    noise_level: Option<f64>,
    segment_count: Option<i64>,
    rotation: Option<bool>,
    overlay_complexity: Option<i64>,
    watermark: Option<bool>,
}

impl TryFrom<Raw> for ProtectionConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<ProtectionConfig, ConfigError> {
        let d = ProtectionConfig::default();
        let noise_level = match raw.noise_level {
            None => d.noise_level,
            Some(v) => {
                let f = v as f32;
                if !v.is_finite() || !(NOISE_LEVEL_MIN..=NOISE_LEVEL_MAX).contains(&f) {
                    return Err(ConfigError::NoiseLevel(v));
                }
                f
            }
        };
        let segment_count = match raw.segment_count {
            None => d.segment_count,
            Some(v) => match u32::try_from(v) {
                Ok(n) if (SEGMENT_COUNT_MIN..=SEGMENT_COUNT_MAX).contains(&n) => n,
                _ => return Err(ConfigError::SegmentCount(v)),
            },
        };
        let overlay_complexity = match raw.overlay_complexity {
            None => d.overlay_complexity,
            Some(v) => match u8::try_from(v) {
                Ok(n) if n <= OVERLAY_COMPLEXITY_MAX => n,
                _ => return Err(ConfigError::OverlayComplexity(v)),
            },
        };
        Ok(ProtectionConfig {
            noise_level,
            segment_count,
            rotation: raw.rotation.unwrap_or(d.rotation),
            overlay_complexity,
            watermark: raw.watermark.unwrap_or(d.watermark),
        })
    }
}

impl From<ProtectionConfig> for Raw {
    fn from(c: ProtectionConfig) -> Raw {
        Raw {
            noise_level: Some(f32_to_f64_shortest(c.noise_level)),
            segment_count: Some(i64::from(c.segment_count)),
            rotation: Some(c.rotation),
            overlay_complexity: Some(i64::from(c.overlay_complexity)),
            watermark: Some(c.watermark),
        }
    }
}

/// `0.2f32` as `0.2f64` rather than `0.20000000298…`: the f64 with the
/// f32's shortest decimal spelling, so JSON round-trips read naturally.
fn f32_to_f64_shortest(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

impl ProtectionConfig {
    /// Parses and validates a JSON config (missing fields take defaults).
    pub fn parse(json: &[u8]) -> Result<ProtectionConfig, ConfigError> {
        let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| ConfigError::Json(e.to_string()))?;
        if !value.is_object() {
            return Err(ConfigError::Json("expected a JSON object".to_owned()));
        }
        let raw: Raw = serde_json::from_value(value).map_err(|e| ConfigError::Json(e.to_string()))?;
        ProtectionConfig::try_from(raw)
    }

    /// Checks the ranges of a config built in code.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ProtectionConfig::try_from(Raw::from(*self)).map(|_| ())
    }

    /// The config as a JSON object with every field spelled out.
    pub fn to_json(&self) -> serde_json::Value {
        let level = serde_json::Number::from_f64(f32_to_f64_shortest(self.noise_level)).map_or(serde_json::Value::Null, serde_json::Value::Number);
        serde_json::json!({
            "noiseLevel": level,
            "segmentCount": self.segment_count,
            "rotation": self.rotation,
            "overlayComplexity": self.overlay_complexity,
            "watermark": self.watermark,
        })
    }
}

/// Parses and validates a JSON config; see [`ProtectionConfig::parse`].
pub fn parse(json: &[u8]) -> Result<ProtectionConfig, ConfigError> {
    ProtectionConfig::parse(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_gives_defaults() {
        let c = parse(b"{}").unwrap();
        assert_eq!(c, ProtectionConfig::default());
        assert_eq!(c, ProtectionConfig { noise_level: 0.2, segment_count: 32, rotation: true, overlay_complexity: 1, watermark: true });
    }

    #[test]
    fn reads_every_field() {
        let c = parse(br#"{"noiseLevel":0.3,"segmentCount":64,"rotation":false,"overlayComplexity":0,"watermark":false}"#).unwrap();
        assert_eq!(c, ProtectionConfig { noise_level: 0.3, segment_count: 64, rotation: false, overlay_complexity: 0, watermark: false });
        let c = parse(br#"{"noiseLevel":0.1,"segmentCount":16,"overlayComplexity":4}"#).unwrap();
        assert_eq!((c.noise_level, c.segment_count, c.overlay_complexity), (0.1, 16, 4));
    }

    #[test]
    fn range_errors_name_the_field_and_range() {
        let e = parse(br#"{"noiseLevel":0.5}"#).unwrap_err();
        assert_eq!(e.to_string(), "noiseLevel must be between 0.1 and 0.3, got 0.5");
        assert_eq!(parse(br#"{"noiseLevel":0.09}"#).unwrap_err(), ConfigError::NoiseLevel(0.09));
        assert_eq!(parse(br#"{"noiseLevel":1e400}"#).map_err(|e| matches!(e, ConfigError::Json(_))), Err(true));
        assert_eq!(parse(br#"{"segmentCount":15}"#).unwrap_err().to_string(), "segmentCount must be between 16 and 64, got 15");
        assert_eq!(parse(br#"{"segmentCount":65}"#).unwrap_err(), ConfigError::SegmentCount(65));
        assert_eq!(parse(br#"{"segmentCount":-1}"#).unwrap_err(), ConfigError::SegmentCount(-1));
        assert_eq!(parse(br#"{"overlayComplexity":5}"#).unwrap_err().to_string(), "overlayComplexity must be between 0 and 4, got 5");
        assert_eq!(parse(br#"{"overlayComplexity":300}"#).unwrap_err(), ConfigError::OverlayComplexity(300));
    }

    #[test]
    fn rejects_unknown_fields_wrong_types_and_non_objects() {
        for bad in [&br#"{"noise":0.2}"#[..], br#"{"rotation":"yes"}"#, br#"{"segmentCount":32.5}"#, b"[]", b"", b"null", br#"{"noiseLevel":NaN}"#] {
            assert!(matches!(parse(bad), Err(ConfigError::Json(_))), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn validate_checks_code_built_configs_including_non_finite() {
        assert!(ProtectionConfig::default().validate().is_ok());
        let bad = ProtectionConfig { noise_level: f32::NAN, ..ProtectionConfig::default() };
        assert!(matches!(bad.validate(), Err(ConfigError::NoiseLevel(v)) if v.is_nan()));
        let bad = ProtectionConfig { noise_level: f32::INFINITY, ..ProtectionConfig::default() };
        assert!(bad.validate().is_err());
        let bad = ProtectionConfig { segment_count: 0, ..ProtectionConfig::default() };
        assert_eq!(bad.validate(), Err(ConfigError::SegmentCount(0)));
    }

    #[test]
    fn json_round_trips_and_serde_validates() {
        let c = ProtectionConfig { noise_level: 0.15, segment_count: 20, rotation: false, overlay_complexity: 3, watermark: true };
        let v = c.to_json();
        assert_eq!(v, serde_json::json!({"noiseLevel": 0.15, "segmentCount": 20, "rotation": false, "overlayComplexity": 3, "watermark": true}));
        assert_eq!(parse(v.to_string().as_bytes()).unwrap(), c);
        assert_eq!(serde_json::to_value(c).unwrap(), v);
        assert_eq!(serde_json::from_value::<ProtectionConfig>(v).unwrap(), c);
        assert!(serde_json::from_str::<ProtectionConfig>(r#"{"noiseLevel":0.4}"#).is_err());
    }
}
