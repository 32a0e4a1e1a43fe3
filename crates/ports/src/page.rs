//! Pagination of lists.

/// The largest page a list returns.
pub const MAX_LIMIT: u32 = 100;
/// The default page size.
pub const DEFAULT_LIMIT: u32 = 25;
/// The largest offset a list accepts; deeper pages should be reached with filters.
pub const MAX_OFFSET: u64 = 100_000;

/// Why a page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// The limit is zero or above [`MAX_LIMIT`].
    #[error("limit must be from 1 to {MAX_LIMIT}")]
    Limit,
    /// The offset is above [`MAX_OFFSET`].
    #[error("offset must be from 0 to {MAX_OFFSET}")]
    Offset,
}

/// Which page of a list to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    offset: u64,
}

impl PageRequest {
    /// A page of `limit` items after skipping `offset`.
    ///
    /// # Errors
    ///
    /// [`PageError`] when either is out of range.
    pub fn new(limit: u32, offset: u64) -> Result<Self, PageError> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageError::Limit);
        }
        if offset > MAX_OFFSET {
            return Err(PageError::Offset);
        }
        Ok(Self { limit, offset })
    }

    /// The page size.
    pub fn limit(self) -> u32 {
        self.limit
    }

    /// How many items come before the page.
    pub fn offset(self) -> u64 {
        self.offset
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of the page, in the requested order.
    pub items: Vec<T>,
    /// How many items the whole filtered list has.
    pub total: u64,
}

impl<T> Page<T> {
    /// The empty page of an empty list.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
        }
    }
}

/// Ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first.
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

impl SortDirection {
    /// `ordering` (smallest first) in this direction.
    #[must_use]
    pub fn apply(self, ordering: std::cmp::Ordering) -> std::cmp::Ordering {
        match self {
            Self::Ascending => ordering,
            Self::Descending => ordering.reverse(),
        }
    }
}
