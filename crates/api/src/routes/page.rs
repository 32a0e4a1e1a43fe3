//! A page of a list on the wire, the one shape every paged answer has.

use cubby_ports::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;

/// A page of a list: its items in the order asked for, how many the whole (filtered) list
/// holds, and the limit and offset the page was cut with.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Page<T> {
    items: Vec<T>,
    /// How many items the whole list holds.
    total: u64,
    #[schema(minimum = 1, maximum = 100)]
    limit: u32,
    #[schema(minimum = 0)]
    offset: u64,
}

impl<T> Page<T> {
    /// `items`, out of `total`, cut with `request`.
    pub(crate) fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self {
            items,
            total,
            limit: request.limit(),
            offset: request.offset(),
        }
    }

    /// The page `found` with each item turned into its wire type.
    pub(crate) fn of<'a, S>(
        found: &'a cubby_ports::Page<S>,
        request: PageRequest,
        out: impl FnMut(&'a S) -> T,
    ) -> Self {
        Self::new(found.items.iter().map(out).collect(), found.total, request)
    }
}
