//! The shortest solution of a level: a breadth-first search over the
//! player's moves, played by [`rules::play`](super::rules::play) itself.
//!
//! A search state is the pet's cell, its facing and the tick modulo the
//! enemies' common period (enemies are a function of the tick), so the
//! search is finite and exact: it finds a solution whenever one exists
//! within `max_moves`, and the fewest moves among them.

use std::collections::VecDeque;

use super::level::Level;
use super::rules::{self, Facing, Move, Outcome, State};

/// What the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    /// The moves, in order.
    pub moves: Vec<Move>,
    /// Ticks they take.
    pub ticks: u32,
}

/// The fewest moves that win `level`, if some win within `max_moves`.
pub fn solve(level: &Level, max_moves: usize) -> Option<Solution> {
    let period = level.enemies.iter().fold(1u32, |p, e| lcm(p, e.period()));
    let (w, h) = (usize::from(level.width), usize::from(level.height));
    let slots = w.checked_mul(h)?.checked_mul(2)?.checked_mul(period as usize)?;
    if slots > 4_000_000 {
        return None;
    }
    let index = |s: &State| -> Option<usize> {
        let (x, y) = (usize::try_from(s.x).ok()?, usize::try_from(s.y).ok()?);
        if x >= w || y >= h {
            return None;
        }
        let f = usize::from(s.facing == Facing::Left);
        Some(((y * w + x) * 2 + f) * period as usize + (s.tick % period) as usize)
    };
    // For each reached slot: the slot it came from and the move, to rebuild
    // the path; `usize::MAX` marks the start.
    let mut came_from: Vec<Option<(usize, Move)>> = vec![None; slots];
    let start = State::start(level);
    let first = index(&start)?;
    came_from[first] = Some((usize::MAX, Move::Wait));
    let mut queue = VecDeque::from([(start, first, 0usize)]);
    while let Some((state, at, depth)) = queue.pop_front() {
        if depth >= max_moves {
            continue;
        }
        for mv in Move::ALL {
            let turn = rules::play(level, state, mv);
            match turn.outcome {
                Outcome::Won => {
                    let mut moves = vec![mv];
                    let mut cur = at;
                    while let Some((prev, m)) = came_from[cur] {
                        if prev == usize::MAX {
                            break;
                        }
                        moves.push(m);
                        cur = prev;
                    }
                    moves.reverse();
                    return Some(Solution { moves, ticks: turn.end.tick });
                }
                Outcome::Died(_) => {}
                Outcome::Ready => {
                    let Some(next) = index(&turn.end) else { continue };
                    if came_from[next].is_none() {
                        came_from[next] = Some((at, mv));
                        queue.push_back((turn.end, next, depth + 1));
                    }
                }
            }
        }
    }
    None
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u32, b: u32) -> u32 {
    a / gcd(a, b).max(1) * b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::level::{Enemy, HEIGHT};
    use crate::game::rules::{replay, tests::level};

    #[test]
    fn finds_the_shortest_way_over_a_pit() {
        let l = level(&["........", "##...###"], [0, 0], [7, 0], vec![]);
        let s = solve(&l, 50).unwrap();
        assert_eq!(replay(&l, &s.moves).1, Outcome::Won);
        // The second leap lands on the goal from above.
        assert_eq!(s.moves, vec![Move::Right, Move::Jump, Move::Jump]);
    }

    #[test]
    fn waits_for_an_enemy_when_it_must() {
        // A corridor one cell high: the pet cannot leap the enemy, so it
        // must time its way... there is no way past, so no solution.
        let e = Enemy { y: HEIGHT - 2, x0: 3, x1: 6, phase: 0 };
        let l = level(&["########", "........", "########"], [0, 1], [7, 1], vec![e]);
        assert_eq!(solve(&l, 200), None);
        // With headroom the pet leaps over it, timing the leap.
        let open = level(&["........", "........", "........", "########"], [0, 2], [7, 2], vec![Enemy { y: HEIGHT - 2, ..e }]);
        let s = solve(&open, 200).unwrap();
        assert_eq!(replay(&open, &s.moves).1, Outcome::Won);
    }

    #[test]
    fn an_impossible_level_has_no_solution() {
        let l = level(&["..........", "##.....###"], [0, 0], [9, 0], vec![]);
        assert_eq!(solve(&l, 100), None);
    }
}
