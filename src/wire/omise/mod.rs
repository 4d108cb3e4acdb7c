//! The Omise dialect's words and shapes: `vocab`, the JSON objects of both API versions
//! (`render`, `version`), the error object, the event keys, secret keys, and the OpenAPI parts
//! its objects are described with.

pub mod error;
pub mod events;
pub mod keys;
pub mod openapi;
pub mod opening;
pub mod packet;
pub mod render;
pub mod version;
pub mod vocab;
