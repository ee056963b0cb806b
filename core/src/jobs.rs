//! Messages on the jobs queue.
//!
//! The Worker's queue producer sends these as JSON text; its consumer parses
//! them back with [`QueueMessage::parse`]. Each product line's background
//! work adds a variant.

use serde::{Deserialize, Serialize};

/// One queued message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum QueueMessage {
    /// A health probe: proves producer and consumer are wired up.
    Probe {
        /// Unix milliseconds when it was sent; also its identity.
        sent_ms: u64,
    },
    /// Run the body-part detector on an asset for a job.
    Analyze {
        /// The job's id.
        job: String,
        /// The asset's owner.
        owner: String,
        /// The asset's id.
        asset: String,
    },
    /// Build a pet game (cut-out, sprites, levels) for a job.
    Game {
        /// The job's id.
        job: String,
        /// The game's owner.
        owner: String,
        /// The game's short code.
        code: String,
    },
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting on the queue.
    Queued,
    /// A consumer is on it.
    Running,
    /// Finished; its results are stored.
    Done,
    /// Gave up; `error` says why.
    Failed,
}

impl JobStatus {
    /// The status as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses a stored status.
    pub fn parse(s: &str) -> Option<JobStatus> {
        [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Failed].into_iter().find(|j| j.as_str() == s)
    }

    /// Whether the job will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Failed)
    }
}

/// A job as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its id (32 hex digits).
    pub id: String,
    /// What it does (`analyze`).
    pub kind: String,
    /// The asset it works on.
    pub asset: String,
    /// Where it is.
    pub status: JobStatus,
    /// From 0 to 1.
    pub progress: f64,
    /// Why it failed, or why the last attempt did.
    pub error: Option<String>,
    /// Deliveries so far.
    pub attempts: u32,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last change.
    pub updated_at: u64,
}

/// An asset's stored analysis: `GET /api/v1/assets/{id}/detections`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The asset.
    pub asset: String,
    /// The job that wrote it: the analysis' version.
    pub version: String,
    /// The detector (`nudenet-320n`).
    pub model: String,
    /// The image's displayed width when analysed.
    pub width: u32,
    /// Its displayed height.
    pub height: u32,
    /// Unix seconds.
    pub analyzed_at: u64,
    /// What was found, best score first.
    pub detections: Vec<crate::detect::Detection>,
    /// Indices into `detections` that the creator switched off (the
    /// studio): policies leave them as they are. Reset by a new analysis.
    #[serde(default)]
    pub off: Vec<u32>,
}

impl Analysis {
    /// Whether detection `index` is switched off.
    pub fn is_off(&self, index: usize) -> bool {
        u32::try_from(index).is_ok_and(|i| self.off.contains(&i))
    }
}

/// `PUT /api/v1/assets/{id}/regions`: which detections of one analysis the
/// creator switched off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionChoice {
    /// The analysis the indices refer to (its `version`); a stale one is
    /// refused, so choices never land on another analysis' detections.
    pub version: String,
    /// Indices into that analysis' detections, each at most once.
    pub off: Vec<u32>,
}

impl RegionChoice {
    /// Checks the choice against `analysis`: same version, indices in
    /// range; returns the indices sorted and deduplicated.
    pub fn validate(&self, analysis: &Analysis) -> Result<Vec<u32>, RegionChoiceError> {
        if self.version != analysis.version {
            return Err(RegionChoiceError::Stale { given: self.version.clone(), current: analysis.version.clone() });
        }
        let n = analysis.detections.len();
        let mut off = self.off.clone();
        if let Some(&bad) = off.iter().find(|&&i| i as usize >= n) {
            return Err(RegionChoiceError::Index { index: bad, count: n });
        }
        off.sort_unstable();
        off.dedup();
        Ok(off)
    }
}

/// Why a [`RegionChoice`] was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionChoiceError {
    /// The asset was analysed again since.
    #[error("the choice is for analysis {given}, but the asset's analysis is now {current}; reload the detections")]
    Stale {
        /// The version given.
        given: String,
        /// The current version.
        current: String,
    },
    /// An index past the detections.
    #[error("region {index} does not exist: the analysis has {count} detections (0 to {count} - 1)")]
    Index {
        /// The index given.
        index: u32,
        /// The detections.
        count: usize,
    },
}

/// Deliveries of one job message before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// Seconds to wait before delivery `attempt` (1-based) is retried:
/// 2, 4, 8, 16 s, at most 60.
pub fn retry_delay_secs(attempt: u32) -> u32 {
    2u32.saturating_pow(attempt.clamp(1, 6)).min(60)
}

/// Why a queued message could not be read.
#[derive(Debug, thiserror::Error)]
#[error("unreadable queue message: {0}")]
pub struct BadMessage(String);

impl QueueMessage {
    /// The message as the JSON text that goes on the queue.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a message; unknown kinds and malformed text are errors (the
    /// consumer acknowledges and logs them rather than retrying forever).
    pub fn parse(text: &str) -> Result<QueueMessage, BadMessage> {
        serde_json::from_str(text).map_err(|e| BadMessage(e.to_string()))
    }
}

/// What the consumer records about the latest probe it received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReceipt {
    /// When the probe was sent (Unix ms).
    pub sent_ms: u64,
    /// When the consumer handled it (Unix ms).
    pub received_ms: u64,
}

/// The most assets one batch analyses.
pub const MAX_BATCH: usize = 100;

/// Why a batch request was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchError {
    /// No asset listed.
    #[error("a batch needs at least one asset id in `assets`")]
    Empty,
    /// More than [`MAX_BATCH`] assets.
    #[error("a batch takes at most {MAX_BATCH} assets, not {0}")]
    TooMany(usize),
    /// An entry is not an asset id.
    #[error("assets[{index}] is not an asset id: {reason}")]
    BadId {
        /// Its position in the list.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The same asset twice.
    #[error("asset {0} is listed twice")]
    Duplicate(String),
}

/// `POST /api/v1/batches`'s body: `{"assets": ["<id>", ...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The assets to analyse, 1 to [`MAX_BATCH`], each once.
    pub assets: Vec<String>,
}

impl BatchRequest {
    /// The validated asset ids, in the order given.
    pub fn ids(&self) -> Result<Vec<crate::assets::AssetId>, BatchError> {
        if self.assets.is_empty() {
            return Err(BatchError::Empty);
        }
        if self.assets.len() > MAX_BATCH {
            return Err(BatchError::TooMany(self.assets.len()));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(self.assets.len());
        for (index, raw) in self.assets.iter().enumerate() {
            let id = crate::assets::AssetId::parse(raw).map_err(|e| BatchError::BadId { index, reason: e.to_string() })?;
            if !seen.insert(id.to_string()) {
                return Err(BatchError::Duplicate(id.to_string()));
            }
            out.push(id);
        }
        Ok(out)
    }
}

/// A batch's aggregate progress over its jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct BatchProgress {
    /// Jobs in the batch.
    pub total: u32,
    /// Waiting on the queue.
    pub queued: u32,
    /// Being worked on.
    pub running: u32,
    /// Finished.
    pub done: u32,
    /// Given up.
    pub failed: u32,
    /// Mean progress of the jobs, 0-1 (a final job counts as 1).
    pub progress: f64,
    /// Whether every job is final.
    pub finished: bool,
}

impl BatchProgress {
    /// Sums `(status, progress)` of each job.
    pub fn of(jobs: impl IntoIterator<Item = (JobStatus, f64)>) -> BatchProgress {
        let mut p = BatchProgress::default();
        let mut sum = 0.0;
        for (status, progress) in jobs {
            p.total += 1;
            match status {
                JobStatus::Queued => p.queued += 1,
                JobStatus::Running => p.running += 1,
                JobStatus::Done => p.done += 1,
                JobStatus::Failed => p.failed += 1,
            }
            sum += if status.is_final() { 1.0 } else { progress.clamp(0.0, 1.0) };
        }
        p.progress = if p.total == 0 { 0.0 } else { sum / f64::from(p.total) };
        p.finished = p.done + p.failed == p.total;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let m = QueueMessage::Probe { sent_ms: 42 };
        assert_eq!(m.to_json(), r#"{"kind":"probe","sent_ms":42}"#);
        assert_eq!(QueueMessage::parse(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn analyze_messages_and_statuses_round_trip() {
        let m = QueueMessage::Analyze { job: "j1".into(), owner: "a".into(), asset: "x".into() };
        assert_eq!(m.to_json(), r#"{"kind":"analyze","job":"j1","owner":"a","asset":"x"}"#);
        assert_eq!(QueueMessage::parse(&m.to_json()).unwrap(), m);
        for s in [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Failed] {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        assert!(JobStatus::Done.is_final() && !JobStatus::Running.is_final());
        assert_eq!((1..=7).map(retry_delay_secs).collect::<Vec<_>>(), vec![2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn unknown_kinds_and_garbage_are_errors() {
        for bad in ["", "{}", r#"{"kind":"launch_rockets"}"#, r#"{"kind":"probe"}"#, "null"] {
            assert!(QueueMessage::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn batch_requests_are_validated() {
        let id = |c: char| c.to_string().repeat(64);
        let ok = BatchRequest { assets: vec![id('a'), id('b')] };
        assert_eq!(ok.ids().unwrap().len(), 2);
        assert_eq!(BatchRequest { assets: vec![] }.ids(), Err(BatchError::Empty));
        assert_eq!(BatchRequest { assets: (0..101).map(|i| format!("{i:064x}")).collect() }.ids(), Err(BatchError::TooMany(101)));
        assert_eq!(BatchRequest { assets: vec![id('a'), id('a')] }.ids(), Err(BatchError::Duplicate(id('a'))));
        assert!(matches!(BatchRequest { assets: vec![id('a'), "nope".into()] }.ids(), Err(BatchError::BadId { index: 1, .. })));
        assert!(serde_json::from_str::<BatchRequest>(r#"{"assets":[],"extra":1}"#).is_err());
    }

    #[test]
    fn batch_progress_aggregates_jobs() {
        let p = BatchProgress::of([(JobStatus::Done, 1.0), (JobStatus::Failed, 0.3), (JobStatus::Running, 0.5), (JobStatus::Queued, 0.0)]);
        assert_eq!((p.total, p.done, p.failed, p.running, p.queued), (4, 1, 1, 1, 1));
        assert!((p.progress - 2.5 / 4.0).abs() < 1e-12);
        assert!(!p.finished);
        assert!(BatchProgress::of([(JobStatus::Done, 1.0), (JobStatus::Failed, 0.0)]).finished);
        assert_eq!(BatchProgress::of([]).progress, 0.0);
    }

    #[test]
    fn region_choices_must_name_the_current_analysis_and_real_regions() {
        use crate::detect::{BoxXywh, Class, Detection};
        let d = Detection { class: Class::FaceFemale, score: 0.9, bbox: BoxXywh { x: 0, y: 0, w: 5, h: 5 } };
        let a = Analysis { asset: "a".into(), version: "job1".into(), model: "m".into(), width: 9, height: 9, analyzed_at: 0, detections: vec![d; 3], off: vec![] };
        let choice = |v: &str, off: Vec<u32>| RegionChoice { version: v.into(), off };
        assert_eq!(choice("job1", vec![2, 0, 2]).validate(&a), Ok(vec![0, 2]));
        assert_eq!(choice("job1", vec![]).validate(&a), Ok(vec![]));
        assert_eq!(choice("job1", vec![3]).validate(&a), Err(RegionChoiceError::Index { index: 3, count: 3 }));
        assert!(matches!(choice("job0", vec![0]).validate(&a), Err(RegionChoiceError::Stale { .. })));
        let with_off = Analysis { off: vec![1], ..a };
        assert!(with_off.is_off(1) && !with_off.is_off(0));
    }

}
