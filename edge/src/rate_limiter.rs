//! The `RateLimiter` Durable Object: one instance per key, exact counts.
//!
//! `POST /hit?limit=N&window=S` counts a hit and answers a
//! [`edgepix_core::ratelimit::Decision`]; `GET /peek` answers the window
//! without counting. The arithmetic lives in `edgepix_core::ratelimit`.

use edgepix_core::ratelimit::{Limit, Window};
use worker::{Date, DurableObject, Env, Method, Request, Response, Result, State, durable_object};

const KEY: &str = "window";

/// One rate-limit key's counter.
#[durable_object]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let mut window: Window = storage.get(KEY).await?.unwrap_or_default();
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/hit") => {
                let url = req.url()?;
                let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<u32>().ok());
                let limit = Limit::new(param("limit").unwrap_or(1), param("window").unwrap_or(60));
                let decision = window.hit(Date::now().as_millis(), limit);
                storage.put(KEY, window).await?;
                Response::from_json(&decision)
            }
            (Method::Get, "/peek") => Response::from_json(&window),
            _ => Response::error("unknown rate limiter operation", 404),
        }
    }
}
