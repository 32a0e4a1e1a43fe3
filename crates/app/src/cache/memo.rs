//! The request's memo of cache reads: inside [`remembering`], each entry is read from the
//! shared cache at most once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;

use cubby_ports::CacheKey;

tokio::task_local! {
    /// The entries a request has read, by key (`None`: known to be absent).
    static SEEN: RefCell<HashMap<CacheKey, Option<Vec<u8>>>>;
}

/// Runs `work` with a memo of cache reads: inside it, each entry is read from the shared cache
/// at most once. Inside another `remembering`, it shares that one.
pub async fn remembering<F: Future>(work: F) -> F::Output {
    if SEEN.try_with(|_| ()).is_ok() {
        work.await
    } else {
        SEEN.scope(RefCell::default(), work).await
    }
}

/// Records what the shared cache holds under `key` (`None`: nothing), read along with other
/// reads; a no-op outside [`remembering`].
pub fn remember(key: CacheKey, value: Option<Vec<u8>>) {
    let _outside = SEEN.try_with(|seen| seen.borrow_mut().insert(key, value));
}

/// What the request already knows of `key`: `Some(None)` when it is known to be absent.
pub(super) fn recall(key: &CacheKey) -> Option<Option<Vec<u8>>> {
    SEEN.try_with(|seen| seen.borrow().get(key).cloned())
        .ok()
        .flatten()
}

/// Forgets what the request knows of `key`, after a write.
pub(super) fn unremember(key: &CacheKey) {
    let _outside = SEEN.try_with(|seen| seen.borrow_mut().remove(key));
}
