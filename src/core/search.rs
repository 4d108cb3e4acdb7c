//! Searching an account's disputes: free text through the store's trigram index, and the
//! conditions of a `DisputeSearch`, paged like a list.

use super::Core;
use crate::domain::search::DisputeSearch;
use crate::domain::{Dispute, ListPage, Scope};
use crate::store::StoreError;

impl Core {
    /// A page of the scope's disputes that match `search`, with how many match in all.
    pub async fn search_disputes(
        &self,
        scope: &Scope,
        search: &DisputeSearch,
    ) -> Result<ListPage<Dispute>, StoreError> {
        self.store.search_disputes(scope, search).await
    }
}
