//! Deterministic levels from a seed, each proven solvable.
//!
//! A level is laid out left to right in sections (flat ground, pits, steps,
//! hazard rows, patrolling enemies, floating platforms over wide pits),
//! drawn from the theme's [`Lean`](super::theme::Lean) and the difficulty's
//! [`Params`](super::difficulty::Params). The solver then plays it; a layout
//! without a solution is discarded and the next attempt drawn from the same
//! seed, so the same `(seed, theme, difficulty, index)` always gives the
//! same level, and every level carries its shortest solution.

use crate::protect::prng::Prng;

use super::difficulty::{Difficulty, Params};
use super::level::{Enemy, HEIGHT, Level, MAX_WIDTH, Tile};
use super::solve;
use super::theme::Theme;

/// Layouts tried before the plain fallback level.
const ATTEMPTS: u32 = 32;

/// Highest and lowest ground-top rows.
const TOP_MIN: u16 = 5;
const TOP_MAX: u16 = 10;

/// The levels of one game: `count` levels, each from the game's seed and
/// its index.
pub fn levels(seed: u64, theme: Theme, difficulty: Difficulty, count: u8) -> Vec<Level> {
    (0..count).map(|i| level(seed, theme, difficulty, i)).collect()
}

/// Level `index` of the game with `seed`, `theme` and `difficulty`.
pub fn level(seed: u64, theme: Theme, difficulty: Difficulty, index: u8) -> Level {
    let p = difficulty.params();
    let width = (p.base_width + 8 * u16::from(index)).min(MAX_WIDTH);
    for attempt in 0..ATTEMPTS {
        let mut key = Vec::with_capacity(16);
        key.extend_from_slice(&seed.to_le_bytes());
        key.extend_from_slice(&[theme as u8, difficulty as u8, index]);
        key.extend_from_slice(&attempt.to_le_bytes());
        let mut rng = Prng::derive("edgepix/game-level", &key);
        let mut draft = layout(&mut rng, theme, &p, width);
        if let Some(s) = solve::solve(&draft, usize::from(width) * 4) {
            draft.time_limit_s = clock(&p, s.ticks);
            draft.solution = s.moves;
            return draft;
        }
    }
    fallback(&p, width)
}

/// Whether `level` is the plain level the generator falls back to.
pub fn is_fallback(level: &Level) -> bool {
    level.enemies.is_empty() && level.rows.iter().flatten().all(|&t| t != Tile::Hazard) && level.rows.iter().all(|r| r.iter().all(|&t| t == r[0]))
}

fn clock(p: &Params, ticks: u32) -> u32 {
    (ticks as f32 * p.seconds_per_tick).ceil() as u32 + p.spare_seconds
}

/// A flat level: solvable by walking right.
fn fallback(p: &Params, width: u16) -> Level {
    let mut b = Builder::new(width);
    let top = 9;
    b.flat(top, width);
    let mut level = b.finish(top);
    level.solution = vec![super::rules::Move::Right; usize::from(level.goal[0] - level.start[0])];
    level.time_limit_s = clock(p, level.solution.len() as u32);
    level
}

/// Sections the generator draws from.
#[derive(Clone, Copy)]
enum Section {
    Flat,
    Gap,
    Step,
    Hazard,
    Enemy,
    Platform,
}

fn layout(rng: &mut Prng, theme: Theme, p: &Params, width: u16) -> Level {
    let lean = theme.lean();
    let obstacles = [
        (Section::Gap, lean.gaps),
        (Section::Step, lean.steps),
        (Section::Hazard, lean.hazards),
        (Section::Enemy, if p.enemies { lean.enemies } else { 0 }),
        (Section::Platform, lean.platforms),
    ];
    let total: u32 = obstacles.iter().map(|o| o.1).sum();
    let mut b = Builder::new(width);
    let mut top: u16 = 9;
    b.flat(top, 3);
    // Leave room for the last section and the goal's run.
    while b.x + 12 < width {
        let section = if rng.below(100) >= p.obstacle_percent {
            Section::Flat
        } else {
            let mut pick = rng.below(total.max(1));
            obstacles.iter().find(|o| if pick < o.1 { true } else { pick -= o.1; false }).map_or(Section::Flat, |o| o.0)
        };
        match section {
            Section::Flat => b.flat(top, 2 + rng.below(3) as u16),
            Section::Gap => {
                b.pit(1 + rng.below(u32::from(p.max_gap)) as u16);
                top = shift(top, rng.below(3) as i32 - 1);
                b.flat(top, 2);
            }
            Section::Step => {
                let up = rng.below(2) == 0;
                let by = if up { -(1 + rng.below(2) as i32) } else { 1 + rng.below(3) as i32 };
                top = shift(top, by);
                b.flat(top, 2 + rng.below(2) as u16);
            }
            Section::Hazard => {
                b.hazards(top, 1 + rng.below(u32::from(p.max_hazard)) as u16);
                b.flat(top, 2);
            }
            Section::Enemy => {
                let span = 2 + rng.below(3) as u16;
                let x0 = b.x + 1;
                b.flat(top, span + 3);
                let e = Enemy { y: top - 1, x0, x1: x0 + span, phase: 0 };
                let phase = rng.below(e.period()) as u16;
                b.enemies.push(Enemy { phase, ..e });
            }
            Section::Platform => {
                let pit = 5 + rng.below(3) as u16;
                let x = b.x;
                b.pit(pit);
                let ptop = top.saturating_sub(1).max(TOP_MIN);
                for px in x + 2..x + pit - 1 {
                    b.set(px, ptop, Tile::Solid);
                }
                b.flat(top, 2);
            }
        }
    }
    let rest = width - b.x;
    b.flat(top, rest);
    b.finish(top)
}

fn shift(top: u16, by: i32) -> u16 {
    (i32::from(top) + by).clamp(i32::from(TOP_MIN), i32::from(TOP_MAX)) as u16
}

/// Lays out columns left to right.
struct Builder {
    width: u16,
    x: u16,
    rows: Vec<Vec<Tile>>,
    enemies: Vec<Enemy>,
}

impl Builder {
    fn new(width: u16) -> Builder {
        Builder { width, x: 0, rows: vec![vec![Tile::Empty; usize::from(width)]; usize::from(HEIGHT)], enemies: Vec::new() }
    }

    fn set(&mut self, x: u16, y: u16, t: Tile) {
        if let Some(cell) = self.rows.get_mut(usize::from(y)).and_then(|r| r.get_mut(usize::from(x))) {
            *cell = t;
        }
    }

    /// `n` columns of ground whose top row is `top`.
    fn flat(&mut self, top: u16, n: u16) {
        for _ in 0..n.min(self.width - self.x) {
            for y in top..HEIGHT {
                self.set(self.x, y, Tile::Solid);
            }
            self.x += 1;
        }
    }

    /// `n` columns of ground with a hazard on top.
    fn hazards(&mut self, top: u16, n: u16) {
        let from = self.x;
        self.flat(top, n);
        for x in from..self.x {
            self.set(x, top - 1, Tile::Hazard);
        }
    }

    /// `n` empty columns.
    fn pit(&mut self, n: u16) {
        self.x = (self.x + n).min(self.width);
    }

    /// The level, with the start on the first column and the goal on the
    /// last but one, both standing on the ground.
    fn finish(self, last_top: u16) -> Level {
        let first_top = (0..HEIGHT).find(|&y| self.rows[usize::from(y)][0] == Tile::Solid).unwrap_or(HEIGHT);
        Level {
            width: self.width,
            height: HEIGHT,
            start: [0, first_top.saturating_sub(1)],
            goal: [self.width - 2, last_top - 1],
            rows: self.rows,
            enemies: self.enemies,
            time_limit_s: 0,
            solution: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::rules::{Outcome, replay};

    #[test]
    fn every_level_is_solvable_by_its_stored_solution() {
        // 1000 seeds for each theme and difficulty.
        for theme in Theme::ALL {
            for difficulty in Difficulty::ALL {
                let mut fallbacks = 0;
                for seed in 0..1000u64 {
                    let l = level(seed, theme, difficulty, (seed % 3) as u8);
                    assert!(l.is_well_formed(), "{theme:?} {difficulty:?} seed {seed}");
                    assert_eq!(replay(&l, &l.solution).1, Outcome::Won, "{theme:?} {difficulty:?} seed {seed}");
                    assert!(l.time_limit_s > 0);
                    fallbacks += usize::from(is_fallback(&l));
                }
                assert!(fallbacks < 10, "{theme:?} {difficulty:?}: {fallbacks} fallbacks in 1000");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_level() {
        let a = level(42, Theme::Beach, Difficulty::Normal, 2);
        let b = level(42, Theme::Beach, Difficulty::Normal, 2);
        assert_eq!(a, b);
        assert_ne!(a, level(43, Theme::Beach, Difficulty::Normal, 2));
        assert_ne!(a, level(42, Theme::Space, Difficulty::Normal, 2));
    }

    #[test]
    fn harder_levels_are_longer_and_fuller() {
        let count = |d: Difficulty| -> (usize, usize) {
            (0..200u64)
                .map(|s| {
                    let l = level(s, Theme::Park, d, 0);
                    let obstacles = l.enemies.len() + l.rows.iter().flatten().filter(|&&t| t == Tile::Hazard).count();
                    (l.solution.len(), obstacles)
                })
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        };
        let (easy, normal, hard) = (count(Difficulty::Easy), count(Difficulty::Normal), count(Difficulty::Hard));
        assert!(easy.0 < normal.0 && normal.0 < hard.0, "{easy:?} {normal:?} {hard:?}");
        assert!(easy.1 < hard.1, "{easy:?} {hard:?}");
    }

    #[test]
    fn levels_grow_with_their_index() {
        let ls = levels(7, Theme::Garden, Difficulty::Easy, 10);
        assert_eq!(ls.len(), 10);
        assert!(ls.windows(2).all(|w| w[0].width < w[1].width));
    }

    #[test]
    fn a_level_round_trips_through_json() {
        let l = level(9, Theme::House, Difficulty::Hard, 1);
        let json = serde_json::to_string(&l).unwrap();
        assert!(json.contains("\"solution\":\""));
        let back: Level = serde_json::from_str(&json).unwrap();
        assert_eq!(back, l);
    }
}
