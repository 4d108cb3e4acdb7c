//! `sqlx::migrate!` embeds the migration files at compile time, but on stable Rust nothing tells
//! cargo that they are inputs: without this, a migration added to `migrations/` would not be in
//! the next build of an unchanged crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
