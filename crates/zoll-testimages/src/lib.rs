//! Test image builder.
