//! The conformance suite: one set of cases that every [`Store`] must pass, so that the use cases
//! behave the same on every backend.
//!
//! Each case is a `pub fn case<S: Store>(store: &S) -> Result<(), StoreError>` that expects a
//! fresh, empty store, checks with `assert!` (so a failure panics, naming what differs) and
//! returns the store's errors. A backend's tests run them all with one line, one `#[test]` per
//! case:
//!
//! ```text
//! deconflict_store::conformance_tests!(|| fresh_store());
//! ```
//!
//! where the expression makes a fresh store each time and may return anything that dereferences
//! to a [`Store`] (a `Box`, or a fixture that also owns a temporary directory or database and
//! cleans it up on drop). [`cases`] lists the same cases for a runner of one's own.
//!
//! The suite is compiled into the library (it needs nothing but the library's own dependencies),
//! so that other crates' tests can run it against any store.
//!
//! Callers of a store must not call back into it from inside a transaction's closure; the suite
//! never does.

mod crud;
mod documents;
pub mod fixtures;
mod notifications;
mod queries;
mod transactions;

pub use crud::{entities_put_get_delete, parties_put_get, subscriptions_put_get_delete};
pub use documents::documents_put_get_list_delete;
pub use notifications::{
    acknowledge_once, notification_ids_increase_and_inbox_pages,
    outbox_due_attempts_delivered_gave_up,
};
pub use queries::{entities_intersecting_is_exact, subscriptions_intersecting_is_exact};
pub use transactions::{
    concurrent_transactions_are_serializable, failed_transaction_writes_nothing,
    transaction_reads_its_own_writes,
};

use crate::{Store, StoreError};

/// One case of the suite, for a store of type `S`.
pub type Case<S> = fn(&S) -> Result<(), StoreError>;

/// Every case, by name.
pub fn cases<S: Store>() -> Vec<(&'static str, Case<S>)> {
    crate::__conformance_cases!(__conformance_list(S))
}

/// Expands to `$crate::$callback!(args; case, case, …)`: the one list of the cases.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($callback:ident ($($args:tt)*)) => {
        $crate::$callback! {
            $($args)*;
            entities_put_get_delete,
            subscriptions_put_get_delete,
            parties_put_get,
            entities_intersecting_is_exact,
            subscriptions_intersecting_is_exact,
            transaction_reads_its_own_writes,
            failed_transaction_writes_nothing,
            concurrent_transactions_are_serializable,
            notification_ids_increase_and_inbox_pages,
            acknowledge_once,
            outbox_due_attempts_delivered_gave_up,
            documents_put_get_list_delete,
        }
    };
}

/// The list of cases as `(name, fn)` for a store type.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_list {
    ($store:ty; $($case:ident),* $(,)?) => {
        vec![$((
            stringify!($case),
            $crate::testing::$case::<$store> as $crate::testing::Case<$store>,
        )),*]
    };
}

/// One `#[test]` per case.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let store = ($make)();
                if let Err(e) = $crate::testing::$case(&*store) {
                    panic!("{}: the store failed: {e}", stringify!($case));
                }
            }
        )*
    };
}

/// Defines one `#[test]` per case of the suite, each on a fresh store made by `$make` (a closure
/// or function returning anything that dereferences to a [`Store`]).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::__conformance_cases!(__conformance_tests($make));
    };
}
