//! The Mangopay dialect's words (`vocab`) and the form of its API keys.

pub mod keys;
pub mod vocab;
