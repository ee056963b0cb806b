//! The bounded work queue in front of the models: at most `concurrency`
//! requests run, at most `queue` wait; beyond that the pool answers 503.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Admission control for inference work.
#[derive(Debug)]
pub struct Gate {
    concurrency: usize,
    queue: usize,
    wait: Duration,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    running: usize,
    waiting: usize,
    /// Exponentially weighted mean of recent run times, in seconds.
    mean_secs: f64,
}

/// Why work was not admitted; carries the advised wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    /// Seconds to wait before retrying (at least 1).
    pub retry_after_secs: u32,
}

/// A running slot; frees itself when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    gate: &'a Gate,
    started: Instant,
}

impl Gate {
    /// `concurrency` runs at once (at least 1), `queue` waiting, each
    /// waiting at most `wait`.
    pub fn new(concurrency: usize, queue: usize, wait: Duration) -> Gate {
        Gate { concurrency: concurrency.max(1), queue, wait, state: Mutex::new(State::default()), freed: Condvar::new() }
    }

    /// Runs at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// (running, waiting) now.
    pub fn depth(&self) -> (usize, usize) {
        let s = self.lock();
        (s.running, s.waiting)
    }

    /// Takes a slot, waiting in the queue when every slot is taken; refuses
    /// at once when the queue is full, or after the wait.
    pub fn enter(&self) -> Result<Permit<'_>, Busy> {
        let mut s = self.lock();
        if s.running >= self.concurrency {
            if s.waiting >= self.queue {
                return Err(self.busy(&s));
            }
            s.waiting += 1;
            let deadline = Instant::now() + self.wait;
            while s.running >= self.concurrency {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    s.waiting -= 1;
                    return Err(self.busy(&s));
                }
                s = self.freed.wait_timeout(s, left).unwrap_or_else(PoisonError::into_inner).0;
            }
            s.waiting -= 1;
        }
        s.running += 1;
        Ok(Permit { gate: self, started: Instant::now() })
    }

    fn busy(&self, s: &State) -> Busy {
        // Time for the work ahead to drain through the slots.
        let ahead = (s.running + s.waiting) as f64 / self.concurrency as f64;
        let secs = (ahead * s.mean_secs).ceil().clamp(1.0, 60.0);
        Busy { retry_after_secs: secs as u32 }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.gate.lock();
        s.running -= 1;
        let took = self.started.elapsed().as_secs_f64();
        s.mean_secs = if s.mean_secs == 0.0 { took } else { 0.8 * s.mean_secs + 0.2 * took };
        drop(s);
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_full_queue_refuses_at_once() {
        let gate = Gate::new(1, 0, Duration::from_secs(5));
        let held = gate.enter().unwrap();
        let started = Instant::now();
        assert_eq!(gate.enter().unwrap_err(), Busy { retry_after_secs: 1 });
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(held);
        assert!(gate.enter().is_ok());
    }

    #[test]
    fn waiters_get_the_slot_when_it_frees() {
        let gate = Arc::new(Gate::new(1, 1, Duration::from_secs(10)));
        let held = gate.enter().unwrap();
        let g = Arc::clone(&gate);
        let waiter = std::thread::spawn(move || g.enter().map(|_| ()).is_ok());
        while gate.depth().1 == 0 {
            std::thread::yield_now();
        }
        assert_eq!(gate.depth(), (1, 1));
        // The queue (1) is full now: a third request is refused.
        assert!(gate.enter().is_err());
        drop(held);
        assert!(waiter.join().unwrap());
        assert_eq!(gate.depth(), (0, 0));
    }

    #[test]
    fn waiting_past_the_deadline_gives_up() {
        let gate = Gate::new(1, 4, Duration::from_millis(30));
        let _held = gate.enter().unwrap();
        assert!(gate.enter().is_err());
        assert_eq!(gate.depth(), (1, 0));
    }
}
