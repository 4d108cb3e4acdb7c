//! Files stored before their pages were counted (the checks count them at upload): finding
//! them, and recording their count once the core has read it.

use async_trait::async_trait;

use super::db::Sql;
use super::rows::{PAGE_COLUMNS, PageFileRow};
use super::{SqlStore, StoreError};
use crate::domain::{Id, Page};

/// Pages whose file has no page count yet.
#[async_trait]
pub trait FilePages {
    /// Up to `limit` such pages after `after` (a document and a position), in that order.
    async fn uncounted_pages(
        &self,
        after: Option<(&Id, i64)>,
        limit: i64,
    ) -> Result<Vec<Page>, StoreError>;
    /// Records how many pages a page's file has.
    async fn set_file_pages(
        &self,
        document: &Id,
        position: i64,
        file_pages: i64,
    ) -> Result<(), StoreError>;
}

#[async_trait]
impl FilePages for SqlStore {
    async fn uncounted_pages(
        &self,
        after: Option<(&Id, i64)>,
        limit: i64,
    ) -> Result<Vec<Page>, StoreError> {
        let mut sql = Sql::new("select ");
        sql.push(PAGE_COLUMNS)
            .push(" from pages where file_pages is null");
        if let Some((document, position)) = after {
            sql.push(" and (document_id > ")
                .bind(document)
                .push(" or (document_id = ")
                .bind(document)
                .push(" and position > ")
                .bind(position)
                .push("))");
        }
        sql.push(" order by document_id, position limit ")
            .bind(limit);
        let rows: Vec<PageFileRow> = self.pool.all(&sql).await?;
        Ok(rows.into_iter().map(Page::from).collect())
    }

    async fn set_file_pages(
        &self,
        document: &Id,
        position: i64,
        file_pages: i64,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new("update pages set file_pages = ");
        sql.bind(file_pages)
            .push(" where document_id = ")
            .bind(document)
            .push(" and position = ")
            .bind(position)
            .push(" and file_pages is null");
        self.pool.execute(&sql).await?;
        Ok(())
    }
}
