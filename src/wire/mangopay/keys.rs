//! Mangopay API keys: the scheme the store files them under, and how a fresh one is made.

/// The scheme the store files Mangopay API keys under.
pub const SCHEME: &str = "mangopay";

/// A fresh API key: 40 random base36 characters, about 206 bits.
pub fn generate_api_key() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from(b"0123456789abcdefghijklmnopqrstuvwxyz"[rng.random_range(0..36)]))
        .collect()
}
