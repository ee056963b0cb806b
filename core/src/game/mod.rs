//! Pet pixel games: the rules, the level generator and its solver, and the
//! game's public record.
//!
//! The game is a turn-based side-scroller on a grid: each key press is one
//! [`Move`] (left, right, jump, wait), played out tick by tick by
//! [`rules::play`]; enemies patrol one cell per tick. The same function
//! drives the browser runtime (which animates the ticks), the solver (a
//! breadth-first search over moves, [`solve::solve`]) and the tests, so a
//! level the generator proved solvable is solvable in the browser by the
//! same key presses.
//!
//! - [`theme`]: the five themes (palette, background, obstacle names, and
//!   how their levels lean).
//! - [`difficulty`]: gaps, spikes, enemies and time per difficulty.
//! - [`level`]: tiles, enemies, a level and its text form.
//! - [`rules`]: one move, tick by tick.
//! - [`solve`]: the shortest solution of a level.
//! - [`generate`]: deterministic levels from a seed, each proven solvable.
//! - [`spec`]: what a creator asks for (`name`, `theme`, `difficulty`,
//!   `level_count`), validated.
//! - [`code`]: the game's 12-character public short code.
//! - [`record`]: the game's public record, embed snippet, oEmbed answer
//!   and the runtime's page configuration.

pub mod code;
pub mod difficulty;
pub mod generate;
pub mod level;
pub mod record;
pub mod rules;
pub mod solve;
pub mod spec;
pub mod theme;

pub use code::ShortCode;
pub use difficulty::Difficulty;
pub use level::{Enemy, Level, Tile};
pub use record::{GameRecord, GameStatus, PageConfig};
pub use rules::{Death, Facing, Move, Outcome, State, Turn};
pub use spec::{GameSpec, SpecError};
pub use theme::Theme;
