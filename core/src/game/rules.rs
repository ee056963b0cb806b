//! One move, tick by tick: the only implementation of the game's rules,
//! used by the solver, the tests and the browser runtime alike.
//!
//! A turn starts with the pet standing. `Left` and `Right` turn it that way
//! and walk one cell (a wall only turns it); `Jump` leaps the way it faces:
//! up, up and forward, forward, forward, down and forward, so it clears a
//! pit three cells wide and climbs ledges up to two cells high, and a solid
//! cell in the way ends the leap early. `Wait` stays one tick. Then the pet
//! falls, one cell a tick, until it stands again or drops out of the level.
//! Every tick moves every enemy one cell; the pet wins on reaching the goal
//! cell and loses on a hazard, on an enemy's cell, on passing an enemy
//! (swapping cells with it), or by falling out.

use serde::{Deserialize, Serialize};

use super::level::{Level, Tile};

/// One key press.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Move {
    /// Face left and walk one cell.
    Left,
    /// Face right and walk one cell.
    Right,
    /// Leap the way the pet faces.
    Jump,
    /// Stay one tick.
    Wait,
}

impl Move {
    /// Every move, in the order the solver tries them.
    pub const ALL: [Move; 4] = [Move::Right, Move::Jump, Move::Left, Move::Wait];

    /// The move's character in a solution string.
    pub fn as_char(self) -> char {
        match self {
            Move::Left => 'L',
            Move::Right => 'R',
            Move::Jump => 'J',
            Move::Wait => 'W',
        }
    }

    /// The move for a solution string's character.
    pub fn from_char(c: char) -> Option<Move> {
        match c {
            'L' => Some(Move::Left),
            'R' => Some(Move::Right),
            'J' => Some(Move::Jump),
            'W' => Some(Move::Wait),
            _ => None,
        }
    }
}

/// Which way the pet faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Facing {
    /// Towards smaller `x`.
    Left,
    /// Towards larger `x`.
    Right,
}

impl Facing {
    /// The step in `x` that facing this way means.
    pub fn dx(self) -> i32 {
        match self {
            Facing::Left => -1,
            Facing::Right => 1,
        }
    }
}

/// Where the pet is between turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Column.
    pub x: i32,
    /// Row.
    pub y: i32,
    /// Which way it faces.
    pub facing: Facing,
    /// Ticks since the level started.
    pub tick: u32,
}

impl State {
    /// The pet at the level's start, facing right, at tick 0.
    pub fn start(level: &Level) -> State {
        State { x: i32::from(level.start[0]), y: i32::from(level.start[1]), facing: Facing::Right, tick: 0 }
    }
}

/// How the pet lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Death {
    /// Dropped out of the bottom of the level.
    Fell,
    /// Touched a hazard.
    Hazard,
    /// Met an enemy.
    Caught,
}

/// How a turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Standing, ready for the next move.
    Ready,
    /// Reached the goal.
    Won,
    /// Lost.
    Died(Death),
}

/// What one pose of the pet in a tick is, for animation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Motion {
    /// Walked one cell sideways (or bumped a wall).
    Walk,
    /// Rising or gliding in a leap.
    Leap,
    /// Falling.
    Fall,
    /// Stayed put.
    Stay,
}

/// One tick of a turn: where the pet is after it and how it got there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// Column after the tick.
    pub x: i32,
    /// Row after the tick.
    pub y: i32,
    /// How it moved.
    pub motion: Motion,
}

/// One played move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// The pet after each tick, in order (at least one).
    pub ticks: Vec<Tick>,
    /// Where the pet ends (its `tick` counts the ticks played).
    pub end: State,
    /// How the turn ended.
    pub outcome: Outcome,
}

/// The leap's path relative to its start, for a pet facing right.
const LEAP: [(i32, i32); 5] = [(0, -1), (1, -1), (1, 0), (1, 0), (1, 1)];

/// Plays `mv` from `state` (the pet standing) on `level`.
pub fn play(level: &Level, state: State, mv: Move) -> Turn {
    let mut turn = Turn { ticks: Vec::with_capacity(8), end: state, outcome: Outcome::Ready };
    let (x, y) = (state.x, state.y);
    let mut s = state;
    match mv {
        Move::Left | Move::Right => {
            s.facing = if mv == Move::Left { Facing::Left } else { Facing::Right };
            let nx = x + s.facing.dx();
            let to = if level.tile(nx, y) == Tile::Solid { x } else { nx };
            if let Some(o) = advance(level, &mut s, &mut turn, to, y, Motion::Walk) {
                return finish(turn, s, o);
            }
        }
        Move::Jump => {
            for (dx, dy) in LEAP {
                let (nx, ny) = (s.x + dx * s.facing.dx(), s.y + dy);
                if level.tile(nx, ny) == Tile::Solid {
                    break;
                }
                if let Some(o) = advance(level, &mut s, &mut turn, nx, ny, Motion::Leap) {
                    return finish(turn, s, o);
                }
            }
        }
        Move::Wait => {
            if let Some(o) = advance(level, &mut s, &mut turn, x, y, Motion::Stay) {
                return finish(turn, s, o);
            }
        }
    }
    // Fall until standing or out of the level.
    while level.tile(s.x, s.y + 1) != Tile::Solid {
        if s.y + 1 >= i32::from(level.height) {
            let (fx, fy) = (s.x, s.y + 1);
            turn.ticks.push(Tick { x: fx, y: fy, motion: Motion::Fall });
            s.y = fy;
            s.tick += 1;
            return finish(turn, s, Outcome::Died(Death::Fell));
        }
        let (fx, fy) = (s.x, s.y + 1);
        if let Some(o) = advance(level, &mut s, &mut turn, fx, fy, Motion::Fall) {
            return finish(turn, s, o);
        }
    }
    finish(turn, s, Outcome::Ready)
}

/// Plays moves from the level's start until one ends the attempt; returns
/// the last state and how it ended (`Ready` if the moves ran out first).
pub fn replay(level: &Level, moves: &[Move]) -> (State, Outcome) {
    let mut s = State::start(level);
    for &mv in moves {
        let turn = play(level, s, mv);
        s = turn.end;
        if turn.outcome != Outcome::Ready {
            return (s, turn.outcome);
        }
    }
    (s, Outcome::Ready)
}

/// One tick: the pet moves to `(nx, ny)`, every enemy one cell; then the
/// goal, hazards and enemies are checked. `Some` when the turn is over.
fn advance(level: &Level, s: &mut State, turn: &mut Turn, nx: i32, ny: i32, motion: Motion) -> Option<Outcome> {
    let (px, py) = (s.x, s.y);
    s.x = nx;
    s.y = ny;
    s.tick += 1;
    turn.ticks.push(Tick { x: nx, y: ny, motion });
    if [nx, ny] == [i32::from(level.goal[0]), i32::from(level.goal[1])] {
        return Some(Outcome::Won);
    }
    if level.tile(nx, ny) == Tile::Hazard {
        return Some(Outcome::Died(Death::Hazard));
    }
    let caught = level.enemies.iter().any(|e| {
        let ey = i32::from(e.y);
        let (before, after) = (i32::from(e.x_at(s.tick - 1)), i32::from(e.x_at(s.tick)));
        (after == nx && ey == ny) || (before == nx && after == px && ey == ny && ey == py)
    });
    caught.then_some(Outcome::Died(Death::Caught))
}

fn finish(mut turn: Turn, end: State, outcome: Outcome) -> Turn {
    turn.end = end;
    turn.outcome = outcome;
    turn
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::game::level::{Enemy, HEIGHT};

    /// A level from row strings (top first), start and goal.
    pub(crate) fn level(rows: &[&str], start: [u16; 2], goal: [u16; 2], enemies: Vec<Enemy>) -> Level {
        let width = rows[0].len() as u16;
        let mut all: Vec<Vec<Tile>> = vec![vec![Tile::Empty; width as usize]; HEIGHT as usize - rows.len()];
        all.extend(rows.iter().map(|r| r.chars().map(|c| Tile::from_char(c).unwrap()).collect()));
        Level { width, height: HEIGHT, rows: all, start: [start[0], start[1] + HEIGHT - rows.len() as u16], goal: [goal[0], goal[1] + HEIGHT - rows.len() as u16], enemies, time_limit_s: 60, solution: vec![] }
    }

    #[test]
    fn walking_reaches_the_goal() {
        let l = level(&["......", "######"], [0, 0], [3, 0], vec![]);
        let (s, o) = replay(&l, &[Move::Right, Move::Right, Move::Right]);
        assert_eq!(o, Outcome::Won);
        assert_eq!((s.x, s.tick), (3, 3));
    }

    #[test]
    fn a_wall_only_turns() {
        let l = level(&["..#...", "######"], [1, 0], [5, 0], vec![]);
        let t = play(&l, State::start(&l), Move::Right);
        assert_eq!((t.end.x, t.end.tick, t.outcome), (1, 1, Outcome::Ready));
        let t = play(&l, t.end, Move::Left);
        assert_eq!((t.end.x, t.end.facing), (0, Facing::Left));
    }

    #[test]
    fn a_leap_clears_three_cells_and_lands() {
        let l = level(&["........", "##...###"], [1, 0], [7, 0], vec![]);
        let t = play(&l, State::start(&l), Move::Jump);
        assert_eq!(t.outcome, Outcome::Ready);
        assert_eq!((t.end.x, t.end.y), (5, HEIGHT as i32 - 2));
        let motions: Vec<Motion> = t.ticks.iter().map(|t| t.motion).collect();
        assert_eq!(motions, [Motion::Leap; 5].iter().copied().chain([Motion::Fall]).collect::<Vec<_>>());
    }

    #[test]
    fn a_four_cell_pit_cannot_be_leapt() {
        let l = level(&[".........", "##....###"], [1, 0], [8, 0], vec![]);
        let t = play(&l, State::start(&l), Move::Jump);
        assert_eq!(t.outcome, Outcome::Died(Death::Fell));
    }

    #[test]
    fn a_leap_climbs_two_but_not_three() {
        let two = level(&["....", "...#", "...#", "####"], [1, 2], [3, 0], vec![]);
        let t = play(&two, State::start(&two), Move::Jump);
        assert_eq!((t.end.x, t.end.y), (3, HEIGHT as i32 - 4));
        assert_eq!(t.outcome, Outcome::Won);
        let three = level(&["..#.", "..#.", "..#.", "####"], [1, 2], [3, 2], vec![]);
        let t = play(&three, State::start(&three), Move::Jump);
        assert_eq!(t.end.x, 1);
    }

    #[test]
    fn hazards_and_pits_end_the_attempt() {
        let l = level(&["..^...", "######"], [0, 0], [5, 0], vec![]);
        assert_eq!(replay(&l, &[Move::Right, Move::Right]).1, Outcome::Died(Death::Hazard));
        assert_eq!(replay(&l, &[Move::Right, Move::Jump, Move::Right]).1, Outcome::Won);
    }

    #[test]
    fn enemies_catch_on_their_cell_and_when_passed() {
        let e = Enemy { y: HEIGHT - 2, x0: 3, x1: 5, phase: 0 };
        let l = level(&["........", "########"], [0, 0], [7, 0], vec![e]);
        // The enemy walks 3,4,5,4,3 ...; the pet walking right meets it.
        let (_, o) = replay(&l, &[Move::Right, Move::Right, Move::Right, Move::Right]);
        assert_eq!(o, Outcome::Died(Death::Caught));
        // Swapping cells counts: pet 2->3 while the enemy goes 3->2 cannot
        // happen here, but a pet at 3 and an enemy coming from 4 to 3 can.
        assert_eq!(e.x_at(0), 3);
        assert_eq!(e.x_at(2), 5);
        assert_eq!(e.x_at(4), 3);
        assert_eq!(e.period(), 4);
    }

    #[test]
    fn passing_through_an_enemy_is_caught() {
        let e = Enemy { y: HEIGHT - 2, x0: 2, x1: 4, phase: 3 };
        // At tick 0 the enemy is at 3, tick 1 at 2: the pet stepping 1->2
        // meets it; from 2->3 while it goes 3->2 is a swap.
        let l = level(&["......", "######"], [2, 0], [5, 0], vec![e]);
        assert_eq!(e.x_at(0), 3);
        let t = play(&l, State::start(&l), Move::Right);
        assert_eq!(t.outcome, Outcome::Died(Death::Caught));
    }
}
