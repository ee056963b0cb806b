//! Tiles, enemies and levels, and a level's JSON form.
//!
//! Coordinates are cells: `x` grows to the right, `y` grows downwards, row 0
//! is the top. Tiles travel as one string per row (`.` empty, `#` solid,
//! `^` hazard), which keeps a level's JSON small and readable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::rules::Move;

/// Rows in every level.
pub const HEIGHT: u16 = 12;

/// Widest level, in cells.
pub const MAX_WIDTH: u16 = 160;

/// One cell of a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tile {
    /// Air: walked and fallen through.
    Empty,
    /// Ground or a platform: stands the player up and blocks moves.
    Solid,
    /// A hazard resting on the ground: touching it ends the attempt.
    Hazard,
}

impl Tile {
    /// The tile's character in a row string.
    pub fn as_char(self) -> char {
        match self {
            Tile::Empty => '.',
            Tile::Solid => '#',
            Tile::Hazard => '^',
        }
    }

    /// The tile for a row string's character.
    pub fn from_char(c: char) -> Option<Tile> {
        match c {
            '.' => Some(Tile::Empty),
            '#' => Some(Tile::Solid),
            '^' => Some(Tile::Hazard),
            _ => None,
        }
    }
}

/// An enemy that walks to and fro along one row, one cell per tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Enemy {
    /// The row it walks on.
    pub y: u16,
    /// Its leftmost cell.
    pub x0: u16,
    /// Its rightmost cell (greater than `x0`).
    pub x1: u16,
    /// Ticks into its round at tick 0 (below `period`).
    pub phase: u16,
}

impl Enemy {
    /// Ticks for one round trip.
    pub fn period(&self) -> u32 {
        2 * u32::from(self.x1.saturating_sub(self.x0)).max(1)
    }

    /// Its column at `tick`: from `x0` to `x1` and back.
    pub fn x_at(&self, tick: u32) -> u16 {
        let span = u32::from(self.x1.saturating_sub(self.x0)).max(1);
        let p = (tick + u32::from(self.phase)) % (2 * span);
        let off = if p <= span { p } else { 2 * span - p };
        self.x0 + off as u16
    }
}

/// A playable level: its tiles, where the pet starts and where it must get
/// to, its enemies, its clock and the shortest solution the generator found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Width in cells.
    pub width: u16,
    /// Height in cells ([`HEIGHT`]).
    pub height: u16,
    /// The tiles, row by row.
    #[serde(serialize_with = "rows_out", deserialize_with = "rows_in")]
    pub rows: Vec<Vec<Tile>>,
    /// Where the pet starts, `[x, y]`, facing right.
    pub start: [u16; 2],
    /// The goal cell, `[x, y]`.
    pub goal: [u16; 2],
    /// The enemies.
    pub enemies: Vec<Enemy>,
    /// Seconds on the clock.
    pub time_limit_s: u32,
    /// The shortest solution, one character per move (`L`, `R`, `J`, `W`).
    #[serde(serialize_with = "moves_out", deserialize_with = "moves_in")]
    pub solution: Vec<Move>,
}

impl Level {
    /// The tile at `(x, y)`; outside the level's sides and top is solid,
    /// below its bottom is empty (a pit).
    pub fn tile(&self, x: i32, y: i32) -> Tile {
        if x < 0 || x >= i32::from(self.width) || y < 0 {
            return Tile::Solid;
        }
        self.rows.get(y as usize).and_then(|r| r.get(x as usize)).copied().unwrap_or(Tile::Empty)
    }

    /// Whether the level's parts fit together: rows of the stated size,
    /// start and goal inside on empty cells, enemies inside.
    pub fn is_well_formed(&self) -> bool {
        let inside = |[x, y]: [u16; 2]| x < self.width && y < self.height;
        self.height == HEIGHT
            && (4..=MAX_WIDTH).contains(&self.width)
            && self.rows.len() == usize::from(self.height)
            && self.rows.iter().all(|r| r.len() == usize::from(self.width))
            && inside(self.start)
            && inside(self.goal)
            && self.tile(i32::from(self.start[0]), i32::from(self.start[1])) == Tile::Empty
            && self.tile(i32::from(self.goal[0]), i32::from(self.goal[1])) == Tile::Empty
            && self.enemies.iter().all(|e| e.x0 < e.x1 && e.x1 < self.width && e.y < self.height && u32::from(e.phase) < e.period())
    }

    /// The rows as strings.
    pub fn row_strings(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.iter().map(|t| t.as_char()).collect()).collect()
    }
}

/// Moves as a string of their characters.
pub fn moves_to_string(moves: &[Move]) -> String {
    moves.iter().map(|m| m.as_char()).collect()
}

/// Moves from a string of their characters.
pub fn moves_from_str(s: &str) -> Option<Vec<Move>> {
    s.chars().map(Move::from_char).collect()
}

fn rows_out<S: Serializer>(rows: &[Vec<Tile>], s: S) -> Result<S::Ok, S::Error> {
    let strings: Vec<String> = rows.iter().map(|r| r.iter().map(|t| t.as_char()).collect()).collect();
    strings.serialize(s)
}

fn rows_in<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Tile>>, D::Error> {
    let strings = Vec::<String>::deserialize(d)?;
    strings
        .iter()
        .map(|r| r.chars().map(Tile::from_char).collect::<Option<Vec<_>>>().ok_or_else(|| serde::de::Error::custom("a row holds a character other than '.', '#' or '^'")))
        .collect()
}

fn moves_out<S: Serializer>(moves: &[Move], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&moves_to_string(moves))
}

fn moves_in<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Move>, D::Error> {
    let s = String::deserialize(d)?;
    moves_from_str(&s).ok_or_else(|| serde::de::Error::custom("a solution holds a character other than L, R, J or W"))
}
