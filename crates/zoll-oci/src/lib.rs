//! Image access.
