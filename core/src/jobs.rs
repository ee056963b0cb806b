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
    fn unknown_kinds_and_garbage_are_errors() {
        for bad in ["", "{}", r#"{"kind":"launch_rockets"}"#, r#"{"kind":"probe"}"#, "null"] {
            assert!(QueueMessage::parse(bad).is_err(), "{bad}");
        }
    }
}
