//! The Mangopay dialect. So far its vocabulary: how Mangopay's words for statuses, reasons,
//! document types and refusals map onto the domain's. Its routes come with the dialect itself.

pub mod vocab;
