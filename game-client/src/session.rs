//! The game as a pure state machine: screens, the move queue, the clock and
//! the animation of each turn, stepped at a fixed 60 steps a second.
//!
//! Nothing here touches the browser, so it runs (and is tested) natively.
//! The runtime feeds it [`Command`]s and [`Session::step`]s, reads poses to
//! draw, and drains [`Event`]s to tell the host page, the audio and the
//! accessibility layer what happened.

use std::collections::VecDeque;

use edgepix_core::game::rules::{self, Motion};
use edgepix_core::game::{Death, Enemy, Facing, Level, Move, Outcome, State, Turn};

/// Logic steps per second.
pub const STEPS_PER_SECOND: u32 = 60;

/// Milliseconds in one logic step.
pub const STEP_MS: f64 = 1000.0 / STEPS_PER_SECOND as f64;

/// Logic steps one tick of a turn is animated over.
pub const STEPS_PER_TICK: u32 = 5;

/// Moves that can wait in the queue; presses beyond it are dropped.
pub const QUEUE_LEN: usize = 32;

/// Steps a screen other than `Playing` ignores confirmations for, so a
/// key held or mashed at the end of a level does not skip its banner.
pub const GRACE_STEPS: u32 = 20;

/// What the player asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// One move (queued while playing, ignored on other screens).
    Move(Move),
    /// Space: jump while playing, confirm on other screens.
    Action,
    /// Enter or a tap: start, continue, retry.
    Confirm,
    /// Restart the level.
    Restart,
    /// Toggle the sound.
    ToggleSound,
}

/// Why an attempt at a level ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Fell out of the level.
    Fell,
    /// Touched a hazard.
    Hazard,
    /// Met an enemy.
    Caught,
    /// The clock ran out.
    TimeUp,
}

impl Loss {
    /// The reason as the host page receives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Loss::Fell => "fell",
            Loss::Hazard => "hazard",
            Loss::Caught => "caught",
            Loss::TimeUp => "time_up",
        }
    }

    fn from_death(d: Death) -> Loss {
        match d {
            Death::Fell => Loss::Fell,
            Death::Hazard => Loss::Hazard,
            Death::Caught => Loss::Caught,
        }
    }
}

/// Which screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The title screen.
    Start,
    /// A level in play.
    Playing,
    /// The banner after a level that is not the last.
    LevelComplete,
    /// The attempt ended; retry.
    Lost(Loss),
    /// Every level is done.
    Won,
}

impl Screen {
    /// The screen's name in `data-screen`.
    pub fn as_str(self) -> &'static str {
        match self {
            Screen::Start => "start",
            Screen::Playing => "playing",
            Screen::LevelComplete => "level-complete",
            Screen::Lost(_) => "lost",
            Screen::Won => "won",
        }
    }
}

/// A sound effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sfx {
    /// A walk or a wait.
    Step,
    /// A leap.
    Jump,
    /// A level reached its goal.
    Complete,
    /// The attempt ended.
    Lose,
    /// A level starts.
    Start,
}

/// What happened, for the runtime to pass on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The player started the game for the first time (record a play).
    FirstStart,
    /// The screen changed.
    Screen(Screen),
    /// A level was completed.
    LevelComplete {
        /// The level's number, 1-based.
        level: usize,
        /// Moves it took.
        moves: u32,
        /// Milliseconds on the clock it took.
        time_ms: u32,
    },
    /// The game ended: won after the last level, or an attempt was lost.
    GameOver {
        /// Whether every level is done.
        won: bool,
        /// The level's number, 1-based.
        level: usize,
        /// Why the attempt ended, when lost.
        reason: Option<Loss>,
    },
    /// Play a sound (if the sound is on).
    Sound(Sfx),
    /// The sound was switched on or off.
    SoundToggled(bool),
}

/// Where the pet is drawn: cells (fractional while a tick animates), the way
/// it faces, and the motion of the tick in progress (`None` standing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// Column.
    pub x: f32,
    /// Row.
    pub y: f32,
    /// Which way it faces.
    pub facing: Facing,
    /// The motion animating, if any.
    pub motion: Option<Motion>,
}

/// A turn being animated.
#[derive(Clone, Debug)]
struct Anim {
    turn: Turn,
    from: State,
    /// Index of the tick in progress.
    tick: usize,
    /// Steps into that tick.
    step: u32,
}

/// The whole game.
#[derive(Debug)]
pub struct Session {
    levels: Vec<Level>,
    screen: Screen,
    index: usize,
    state: State,
    anim: Option<Anim>,
    queue: VecDeque<Move>,
    moves: u32,
    elapsed_steps: u32,
    screen_steps: u32,
    clock: u32,
    started: bool,
    sound: bool,
    events: Vec<Event>,
}

impl Session {
    /// A session on the start screen. `levels` must not be empty (the
    /// config parser checks it).
    pub fn new(levels: Vec<Level>) -> Session {
        let state = levels.first().map_or(State { x: 0, y: 0, facing: Facing::Right, tick: 0 }, State::start);
        Session {
            levels,
            screen: Screen::Start,
            index: 0,
            state,
            anim: None,
            queue: VecDeque::with_capacity(QUEUE_LEN),
            moves: 0,
            elapsed_steps: 0,
            screen_steps: 0,
            clock: 0,
            started: false,
            sound: false,
            events: Vec::new(),
        }
    }

    /// The current screen.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The current level.
    pub fn level(&self) -> &Level {
        &self.levels[self.index.min(self.levels.len().saturating_sub(1))]
    }

    /// The current level's number, 1-based.
    pub fn level_number(&self) -> usize {
        self.index + 1
    }

    /// How many levels the game has.
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// Moves played in this attempt at the level.
    pub fn moves(&self) -> u32 {
        self.moves
    }

    /// Moves waiting to be played.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Whether the sound is on.
    pub fn sound(&self) -> bool {
        self.sound
    }

    /// Steps since the session began (drives idle animations).
    pub fn clock(&self) -> u32 {
        self.clock
    }

    /// Milliseconds played on this level.
    pub fn elapsed_ms(&self) -> u32 {
        steps_to_ms(self.elapsed_steps)
    }

    /// Milliseconds left on the level's clock.
    pub fn time_left_ms(&self) -> u32 {
        steps_to_ms(self.limit_steps().saturating_sub(self.elapsed_steps))
    }

    fn limit_steps(&self) -> u32 {
        self.level().time_limit_s.saturating_mul(STEPS_PER_SECOND)
    }

    /// Takes the events since the last call.
    pub fn drain_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Handles a command; `repeat` is a key held down (auto-repeat), which
    /// only queues a move when nothing is queued or playing, so holding a
    /// key walks steadily without overshooting when it is let go.
    pub fn press(&mut self, cmd: Command, repeat: bool) {
        if cmd == Command::ToggleSound {
            if !repeat {
                self.sound = !self.sound;
                self.events.push(Event::SoundToggled(self.sound));
            }
            return;
        }
        if self.screen == Screen::Playing {
            match cmd {
                Command::Move(mv) => self.enqueue(mv, repeat),
                Command::Action => self.enqueue(Move::Jump, repeat),
                Command::Restart if !repeat => self.begin_level(),
                _ => {}
            }
            return;
        }
        let confirm = matches!(cmd, Command::Confirm | Command::Action) || (cmd == Command::Restart && matches!(self.screen, Screen::Lost(_)));
        if !confirm || repeat || (self.screen_steps < GRACE_STEPS && self.screen != Screen::Start) {
            return;
        }
        match self.screen {
            Screen::Start => {
                if !self.started {
                    self.started = true;
                    self.events.push(Event::FirstStart);
                }
                self.index = 0;
                self.begin_level();
            }
            Screen::LevelComplete => {
                self.index = (self.index + 1).min(self.levels.len().saturating_sub(1));
                self.begin_level();
            }
            Screen::Lost(_) => self.begin_level(),
            Screen::Won => {
                self.index = 0;
                self.begin_level();
            }
            Screen::Playing => {}
        }
    }

    fn enqueue(&mut self, mv: Move, repeat: bool) {
        if repeat && (self.anim.is_some() || !self.queue.is_empty()) {
            return;
        }
        if self.queue.len() < QUEUE_LEN {
            self.queue.push_back(mv);
        }
    }

    fn set_screen(&mut self, screen: Screen) {
        self.screen = screen;
        self.screen_steps = 0;
        self.events.push(Event::Screen(screen));
    }

    /// Starts (or restarts) the current level.
    fn begin_level(&mut self) {
        self.state = State::start(self.level());
        self.anim = None;
        self.queue.clear();
        self.moves = 0;
        self.elapsed_steps = 0;
        self.set_screen(Screen::Playing);
        self.events.push(Event::Sound(Sfx::Start));
    }

    /// One logic step (1/60 s): the clock runs, the next queued move
    /// starts, the turn in progress advances.
    pub fn step(&mut self) {
        self.clock = self.clock.wrapping_add(1);
        self.screen_steps = self.screen_steps.saturating_add(1);
        if self.screen != Screen::Playing {
            return;
        }
        self.elapsed_steps += 1;
        if self.anim.is_none() {
            self.next_turn();
        }
        if let Some(a) = &mut self.anim {
            a.step += 1;
            if a.step >= STEPS_PER_TICK {
                a.step = 0;
                a.tick += 1;
                if a.tick >= a.turn.ticks.len() {
                    self.end_turn();
                }
            }
        }
        if self.screen == Screen::Playing && self.elapsed_steps >= self.limit_steps() {
            self.anim = None;
            self.lose(Loss::TimeUp);
        }
    }

    fn next_turn(&mut self) {
        let Some(mv) = self.queue.pop_front() else { return };
        let turn = rules::play(self.level(), self.state, mv);
        self.moves += 1;
        let sfx = if mv == Move::Jump { Sfx::Jump } else { Sfx::Step };
        self.events.push(Event::Sound(sfx));
        self.anim = Some(Anim { turn, from: self.state, tick: 0, step: 0 });
    }

    fn end_turn(&mut self) {
        let Some(a) = self.anim.take() else { return };
        self.state = a.turn.end;
        match a.turn.outcome {
            Outcome::Ready => {}
            Outcome::Won => {
                let level = self.level_number();
                self.events.push(Event::LevelComplete { level, moves: self.moves, time_ms: self.elapsed_ms() });
                self.events.push(Event::Sound(Sfx::Complete));
                self.queue.clear();
                if self.index + 1 >= self.levels.len() {
                    self.set_screen(Screen::Won);
                    self.events.push(Event::GameOver { won: true, level, reason: None });
                } else {
                    self.set_screen(Screen::LevelComplete);
                }
            }
            Outcome::Died(d) => self.lose(Loss::from_death(d)),
        }
    }

    fn lose(&mut self, loss: Loss) {
        self.queue.clear();
        self.set_screen(Screen::Lost(loss));
        self.events.push(Event::Sound(Sfx::Lose));
        self.events.push(Event::GameOver { won: false, level: self.level_number(), reason: Some(loss) });
    }

    /// Where to draw the pet now.
    pub fn pose(&self) -> Pose {
        let Some(a) = &self.anim else {
            return Pose { x: self.state.x as f32, y: self.state.y as f32, facing: self.state.facing, motion: None };
        };
        let (px, py) = match a.tick.checked_sub(1).and_then(|i| a.turn.ticks.get(i)) {
            Some(t) => (t.x, t.y),
            None => (a.from.x, a.from.y),
        };
        let Some(cur) = a.turn.ticks.get(a.tick) else {
            return Pose { x: px as f32, y: py as f32, facing: a.turn.end.facing, motion: None };
        };
        let f = a.step as f32 / STEPS_PER_TICK as f32;
        Pose { x: lerp(px, cur.x, f), y: lerp(py, cur.y, f), facing: a.turn.end.facing, motion: Some(cur.motion) }
    }

    /// Where to draw an enemy now (its column, fractional while a tick
    /// animates).
    pub fn enemy_x(&self, e: &Enemy) -> f32 {
        match &self.anim {
            Some(a) => {
                let t = a.from.tick + a.tick as u32;
                lerp(i32::from(e.x_at(t)), i32::from(e.x_at(t + 1)), a.step as f32 / STEPS_PER_TICK as f32)
            }
            None => f32::from(e.x_at(self.state.tick)),
        }
    }
}

fn lerp(a: i32, b: i32, f: f32) -> f32 {
    a as f32 + (b - a) as f32 * f
}

fn steps_to_ms(steps: u32) -> u32 {
    (u64::from(steps) * 1000 / u64::from(STEPS_PER_SECOND)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgepix_core::game::{Difficulty, Theme, generate};

    fn levels(n: u8) -> Vec<Level> {
        generate::levels(7, Theme::Garden, Difficulty::Normal, n)
    }

    /// A flat level: the pet at column 2 walks right to the goal at column
    /// 6; column 0 is a pit; two seconds on the clock.
    fn flat() -> Level {
        let mut rows = vec![".".repeat(8); 10];
        rows.push("........".to_owned());
        rows.push(".#######".to_owned());
        let json = serde_json::json!({
            "width": 8, "height": 12, "rows": rows, "start": [2, 10], "goal": [6, 10],
            "enemies": [], "time_limit_s": 2, "solution": "RRRR"
        });
        serde_json::from_value(json).unwrap()
    }

    fn started(levels: Vec<Level>) -> Session {
        let mut s = Session::new(levels);
        s.press(Command::Confirm, false);
        assert_eq!(s.screen(), Screen::Playing);
        s
    }

    /// Steps until nothing is animating or queued, or the screen leaves
    /// `Playing`; at most `limit` steps.
    fn settle(s: &mut Session, limit: u32) {
        for _ in 0..limit {
            if s.screen() != Screen::Playing || (s.anim.is_none() && s.queue.is_empty()) {
                return;
            }
            s.step();
        }
    }

    /// Plays every level's stored solution, feeding moves as fast as the
    /// queue takes them.
    fn play_solutions(s: &mut Session) {
        for i in 0..s.level_count() {
            assert_eq!(s.level_number(), i + 1);
            let solution = s.level().solution.clone();
            let mut next = 0;
            while s.screen() == Screen::Playing {
                while next < solution.len() && s.queued() < QUEUE_LEN {
                    s.press(Command::Move(solution[next]), false);
                    next += 1;
                }
                s.step();
            }
            if s.screen() == Screen::LevelComplete {
                for _ in 0..GRACE_STEPS {
                    s.step();
                }
                s.press(Command::Confirm, false);
            }
        }
    }

    #[test]
    fn stored_solutions_win_every_level() {
        let mut s = started(levels(3));
        let events = s.drain_events();
        assert_eq!(events[0], Event::FirstStart);
        play_solutions(&mut s);
        assert_eq!(s.screen(), Screen::Won);
        let events = s.drain_events();
        let completes: Vec<_> = events.iter().filter_map(|e| if let Event::LevelComplete { level, moves, .. } = e { Some((*level, *moves)) } else { None }).collect();
        let lens: Vec<_> = s.levels.iter().enumerate().map(|(i, l)| (i + 1, l.solution.len() as u32)).collect();
        assert_eq!(completes, lens);
        assert!(events.contains(&Event::GameOver { won: true, level: 3, reason: None }));
        assert!(events.contains(&Event::Screen(Screen::Won)));
        // Play again from the first level; no second FirstStart.
        for _ in 0..GRACE_STEPS {
            s.step();
        }
        s.press(Command::Confirm, false);
        assert_eq!((s.screen(), s.level_number()), (Screen::Playing, 1));
        assert!(!s.drain_events().contains(&Event::FirstStart));
    }

    #[test]
    fn a_turn_takes_steps_per_tick_for_each_tick() {
        let mut s = started(vec![flat()]);
        s.press(Command::Move(Move::Right), false);
        s.step();
        let p = s.pose();
        assert_eq!(p.motion, Some(Motion::Walk));
        assert!((p.x - 2.2).abs() < 1e-6, "{p:?}");
        for _ in 1..STEPS_PER_TICK {
            s.step();
        }
        assert_eq!(s.pose(), Pose { x: 3.0, y: 10.0, facing: Facing::Right, motion: None });
        assert_eq!(s.moves(), 1);
    }

    #[test]
    fn the_queue_keeps_fast_presses_in_order_and_caps() {
        let mut s = started(vec![flat()]);
        s.press(Command::Move(Move::Left), false);
        for _ in 0..QUEUE_LEN + 4 {
            s.press(Command::Move(Move::Wait), false);
        }
        assert_eq!(s.queued(), QUEUE_LEN);
        s.step();
        assert_eq!(s.pose().facing, Facing::Left);
        // The goal is 4 cells right; a quick burst of four Rights reaches it.
        let mut s = started(vec![flat()]);
        for _ in 0..4 {
            s.press(Command::Move(Move::Right), false);
        }
        settle(&mut s, 1000);
        assert_eq!(s.screen(), Screen::Won);
        assert_eq!(s.moves(), 4);
    }

    #[test]
    fn held_keys_queue_only_when_idle() {
        let mut s = started(vec![flat()]);
        s.press(Command::Move(Move::Right), false);
        s.press(Command::Move(Move::Right), true);
        assert_eq!(s.queued(), 1);
        s.step();
        s.press(Command::Move(Move::Right), true);
        assert_eq!(s.queued(), 0);
        settle(&mut s, 100);
        s.press(Command::Move(Move::Right), true);
        assert_eq!(s.queued(), 1);
    }

    #[test]
    fn the_clock_runs_out() {
        let mut s = started(vec![flat()]);
        s.drain_events();
        assert_eq!(s.time_left_ms(), 2000);
        for _ in 0..2 * STEPS_PER_SECOND - 1 {
            s.step();
        }
        assert_eq!(s.screen(), Screen::Playing);
        s.step();
        assert_eq!(s.screen(), Screen::Lost(Loss::TimeUp));
        assert_eq!(s.time_left_ms(), 0);
        assert!(s.drain_events().contains(&Event::GameOver { won: false, level: 1, reason: Some(Loss::TimeUp) }));
        // Retry after the grace period resets the clock.
        s.press(Command::Confirm, false);
        assert_eq!(s.screen(), Screen::Lost(Loss::TimeUp));
        for _ in 0..GRACE_STEPS {
            s.step();
        }
        s.press(Command::Restart, false);
        assert_eq!((s.screen(), s.time_left_ms()), (Screen::Playing, 2000));
    }

    #[test]
    fn falling_out_loses_and_restart_resets() {
        let mut s = started(vec![flat()]);
        for mv in [Move::Left, Move::Left] {
            s.press(Command::Move(mv), false);
        }
        settle(&mut s, 1000);
        assert_eq!(s.screen(), Screen::Lost(Loss::Fell));
        let events = s.drain_events();
        assert!(events.contains(&Event::GameOver { won: false, level: 1, reason: Some(Loss::Fell) }));
        assert!(events.contains(&Event::Screen(Screen::Lost(Loss::Fell))));
        // While playing, R restarts at once.
        let mut s = started(vec![flat()]);
        s.press(Command::Move(Move::Right), false);
        settle(&mut s, 100);
        s.press(Command::Restart, false);
        assert_eq!((s.moves(), s.pose().x, s.elapsed_ms()), (0, 2.0, 0));
    }

    #[test]
    fn space_jumps_while_playing_and_confirms_elsewhere() {
        let mut s = Session::new(vec![flat()]);
        s.press(Command::Action, false);
        assert_eq!(s.screen(), Screen::Playing);
        s.press(Command::Action, false);
        assert_eq!(s.queued(), 1);
        s.step();
        assert_eq!(s.pose().motion, Some(Motion::Leap));
    }

    #[test]
    fn sound_toggles_and_moves_are_ignored_off_screen() {
        let mut s = Session::new(levels(1));
        assert!(!s.sound());
        s.press(Command::ToggleSound, false);
        s.press(Command::ToggleSound, true);
        assert!(s.sound());
        s.press(Command::Move(Move::Right), false);
        assert_eq!((s.screen(), s.queued()), (Screen::Start, 0));
        assert_eq!(s.drain_events(), vec![Event::SoundToggled(true)]);
    }

    #[test]
    fn enemies_glide_between_cells() {
        let mut level = flat();
        level.enemies.push(Enemy { y: 5, x0: 1, x1: 4, phase: 0 });
        let e = level.enemies[0];
        let mut s = started(vec![level]);
        assert_eq!(s.enemy_x(&e), 1.0);
        s.press(Command::Move(Move::Wait), false);
        s.step();
        assert!((s.enemy_x(&e) - 1.2).abs() < 1e-6);
        settle(&mut s, 100);
        assert_eq!(s.enemy_x(&e), 2.0);
    }
}
