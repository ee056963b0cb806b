//! What a creator asks for when making a game, checked before any work.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::difficulty::Difficulty;
use super::theme::Theme;

/// Most levels in one game.
pub const MAX_LEVELS: u8 = 10;

/// Longest game name, in characters.
pub const MAX_NAME: usize = 60;

/// A validated game request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameSpec {
    /// The game's title (the pet's name, say).
    pub name: String,
    /// Its theme.
    pub theme: Theme,
    /// Its difficulty.
    pub difficulty: Difficulty,
    /// How many levels (1 to 10).
    pub level_count: u8,
}

/// Why a game request was refused; each names the field.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecError {
    /// `name` is missing, blank, too long or holds control characters.
    #[error("name must be 1 to {MAX_NAME} characters without control characters")]
    Name,
    /// `theme` is not one of ours.
    #[error("theme {0:?} is not one of garden, house, beach, space, park")]
    Theme(String),
    /// `difficulty` is not one of ours.
    #[error("difficulty {0:?} is not one of easy, normal, hard")]
    Difficulty(String),
    /// `level_count` is out of range.
    #[error("level_count must be an integer from 1 to {MAX_LEVELS}")]
    LevelCount,
}

/// A game request as it arrives (JSON body or form fields), before checks.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// The game's title.
    pub name: Option<String>,
    /// A theme name; `garden` when absent.
    pub theme: Option<String>,
    /// A difficulty name; `normal` when absent.
    pub difficulty: Option<String>,
    /// Levels; 3 when absent.
    pub level_count: Option<serde_json::Value>,
    /// An uploaded asset to use as the photo, instead of a body image.
    pub asset: Option<String>,
}

impl GameSpec {
    /// Checks a raw request.
    pub fn from_raw(raw: &RawSpec) -> Result<GameSpec, SpecError> {
        let name = raw.name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(SpecError::Name);
        }
        let theme = match raw.theme.as_deref() {
            None => Theme::Garden,
            Some(t) => Theme::parse(t).ok_or_else(|| SpecError::Theme(t.to_owned()))?,
        };
        let difficulty = match raw.difficulty.as_deref() {
            None => Difficulty::Normal,
            Some(d) => Difficulty::parse(d).ok_or_else(|| SpecError::Difficulty(d.to_owned()))?,
        };
        let level_count = match &raw.level_count {
            None => 3,
            Some(v) => {
                let n = v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).ok_or(SpecError::LevelCount)?;
                u8::try_from(n).ok().filter(|n| (1..=MAX_LEVELS).contains(n)).ok_or(SpecError::LevelCount)?
            }
        };
        Ok(GameSpec { name: name.to_owned(), theme, difficulty, level_count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn defaults_and_checks() {
        let s = GameSpec::from_raw(&raw(r#"{"name":" Chelsea "}"#)).unwrap();
        assert_eq!(s, GameSpec { name: "Chelsea".into(), theme: Theme::Garden, difficulty: Difficulty::Normal, level_count: 3 });
        let s = GameSpec::from_raw(&raw(r#"{"name":"Rex","theme":"space","difficulty":"easy","level_count":"10"}"#)).unwrap();
        assert_eq!((s.theme, s.difficulty, s.level_count), (Theme::Space, Difficulty::Easy, 10));
        assert_eq!(GameSpec::from_raw(&raw(r#"{"name":""}"#)), Err(SpecError::Name));
        assert_eq!(GameSpec::from_raw(&raw(r#"{"name":"a\u0007"}"#)), Err(SpecError::Name));
        assert_eq!(GameSpec::from_raw(&raw(&format!(r#"{{"name":"{}"}}"#, "x".repeat(61)))), Err(SpecError::Name));
        assert_eq!(GameSpec::from_raw(&raw(r#"{"name":"a","theme":"moon"}"#)), Err(SpecError::Theme("moon".into())));
        assert_eq!(GameSpec::from_raw(&raw(r#"{"name":"a","difficulty":"insane"}"#)), Err(SpecError::Difficulty("insane".into())));
        for bad in ["0", "11", "-1", "2.5", "\"x\"", "[]"] {
            assert_eq!(GameSpec::from_raw(&raw(&format!(r#"{{"name":"a","level_count":{bad}}}"#))), Err(SpecError::LevelCount), "{bad}");
        }
        assert!(serde_json::from_str::<RawSpec>(r#"{"name":"a","levels":3}"#).is_err());
    }
}
