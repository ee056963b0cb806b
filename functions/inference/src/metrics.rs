//! The pool's Prometheus metrics (`GET /metrics`, OpenMetrics text).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::models::Models;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: &'static str,
    backend: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the pool keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    inference: HistogramFamily<ModelLabels>,
    running: Gauge,
    waiting: Gauge,
}

fn latency_buckets() -> Histogram {
    // 2 ms to about 16 s.
    Histogram::new(exponential_buckets(0.002, 2.0, 14))
}

impl Metrics {
    /// The metrics, with each model's load time recorded once.
    pub fn new(models: &Models) -> Metrics {
        let mut registry = Registry::with_prefix("edgepix_pool");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests answered, by route and status", requests.clone());
        let latency: HistogramFamily<RouteLabels> = Family::new_with_constructor(latency_buckets);
        registry.register("request_duration_seconds", "Time from request to response, by route", latency.clone());
        let inference: HistogramFamily<ModelLabels> = Family::new_with_constructor(latency_buckets);
        registry.register("inference_duration_seconds", "Time in the model alone, by model and backend", inference.clone());
        let running = Gauge::default();
        registry.register("queue_running", "Inference requests running now", running.clone());
        let waiting = Gauge::default();
        registry.register("queue_waiting", "Inference requests waiting for a slot (queue depth)", waiting.clone());
        let load = Family::<ModelLabels, Gauge<f64, AtomicU64>>::default();
        registry.register("model_load_seconds", "Time to load and optimise each model at start", load.clone());
        for slot in models.slots() {
            if let Some(ms) = slot.load_ms() {
                load.get_or_create(&ModelLabels { model: slot.kind().as_str(), backend: slot.backend() }).set(ms / 1000.0);
            }
        }
        Metrics { registry, requests, latency, inference, running, waiting }
    }

    /// Counts one answered request on `route` (a fixed label, never the
    /// raw path).
    pub fn request(&self, route: &'static str, status: u16, secs: f64) {
        self.requests.get_or_create(&RequestLabels { route, status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(secs);
    }

    /// Records one model run.
    pub fn inference(&self, model: &'static str, backend: &'static str, secs: f64) {
        self.inference.get_or_create(&ModelLabels { model, backend }).observe(secs);
    }

    /// Sets the queue gauges.
    pub fn queue(&self, running: usize, waiting: usize) {
        self.running.set(i64::try_from(running).unwrap_or(i64::MAX));
        self.waiting.set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
