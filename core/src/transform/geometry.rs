//! Output geometry of each fit mode.
