//! Placeholder until the code of this crate lands.
