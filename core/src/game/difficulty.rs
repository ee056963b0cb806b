//! What each difficulty changes: gaps, hazards, enemies and time.

use serde::{Deserialize, Serialize};

/// A game's difficulty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// Narrow gaps, few hazards, slow enemies, plenty of time.
    Easy,
    /// The default.
    Normal,
    /// Wide gaps, more hazards and enemies, less time.
    Hard,
}

/// The generator's and the clock's numbers for one difficulty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Widest pit, in cells (a jump clears 3).
    pub max_gap: u8,
    /// Longest row of hazards, in cells.
    pub max_hazard: u8,
    /// Percent of sections that are obstacles rather than flat ground.
    pub obstacle_percent: u32,
    /// Whether enemies appear at all.
    pub enemies: bool,
    /// Level width of the first level, in cells; later levels grow.
    pub base_width: u16,
    /// Seconds on the clock per tick of the shortest solution.
    pub seconds_per_tick: f32,
    /// Seconds on the clock beyond that.
    pub spare_seconds: u32,
}

impl Difficulty {
    /// Every difficulty, easiest first.
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Normal, Difficulty::Hard];

    /// The difficulty's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Normal => "normal",
            Difficulty::Hard => "hard",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Difficulty> {
        Difficulty::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The difficulty's numbers.
    pub fn params(self) -> Params {
        match self {
            Difficulty::Easy => Params {
                max_gap: 2,
                max_hazard: 1,
                obstacle_percent: 45,
                enemies: true,
                base_width: 40,
                seconds_per_tick: 1.0,
                spare_seconds: 30,
            },
            Difficulty::Normal => Params {
                max_gap: 3,
                max_hazard: 2,
                obstacle_percent: 60,
                enemies: true,
                base_width: 52,
                seconds_per_tick: 0.6,
                spare_seconds: 20,
            },
            Difficulty::Hard => Params {
                max_gap: 3,
                max_hazard: 3,
                obstacle_percent: 75,
                enemies: true,
                base_width: 64,
                seconds_per_tick: 0.4,
                spare_seconds: 10,
            },
        }
    }
}
