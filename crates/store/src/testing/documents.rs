//! Cases: documents — put, get, replace, list in pages, delete; kinds apart; in transactions
//! like everything else; kinds and ids checked.

use super::fixtures::{both, read, tx};
use crate::{Store, StoreError};

/// The kind most of the case uses.
const KIND: &str = "availability";
/// Another kind, with some of the same ids.
const OTHER: &str = "report.v1";

/// The body of document `id` in version `v`: JSON, as the service stores.
fn body(id: &str, v: u32) -> Vec<u8> {
    format!("{{\"id\":{id:?},\"v\":{v}}}").into_bytes()
}

/// The ids of a listing.
fn ids(listing: &[(String, Vec<u8>)]) -> Vec<&str> {
    listing.iter().map(|(id, _)| id.as_str()).collect()
}

/// Checks that `result` is the refusal of a bad kind or id, naming the document `key`.
fn assert_refused<T: std::fmt::Debug>(result: Result<T, StoreError>, key: &str) {
    assert!(
        matches!(&result, Err(StoreError::Corrupt { key: k, .. }) if k == key),
        "expected the refusal of {key:?}, got {result:?}"
    );
}

/// The error of a closure that refuses.
#[derive(Debug, PartialEq)]
enum Refusal {
    Refused,
    Store(String),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// Documents: put and get back (bodies are opaque bytes, the empty one included), replace,
/// kinds as separate namespaces, listing in bytewise id order with `after` and `limit`, delete
/// (and delete again); a refused transaction writes none, a transaction reads its own puts and
/// deletions (in listings too); bad kinds and ids are refused as [`StoreError::Corrupt`] in
/// reads and writes alike, and the limits themselves are accepted.
///
/// # Errors
/// A store error.
pub fn documents_put_get_list_delete<S: Store>(store: &S) -> Result<(), StoreError> {
    assert_eq!(both(store, |v| v.document(KIND, "a"))?, None);
    assert_eq!(both(store, |v| v.documents(KIND, None, 100))?, vec![]);

    // Bytewise order: "B" < "a" < "a-1" < "b" < "é" (a collation of a language would put "B"
    // after "a" or "b", and "é" next to "e").
    let sorted = ["B", "a", "a-1", "b", "é"];
    for id in ["é", "b", "a-1", "a", "B"] {
        tx(store, |tx| tx.put_document(KIND, id, body(id, 1)))?;
    }
    tx(store, |tx| {
        tx.put_document(OTHER, "a", b"\x00\xff not UTF-8".to_vec())?;
        tx.put_document(OTHER, "z", Vec::new())
    })?;
    assert_eq!(both(store, |v| v.document(KIND, "a"))?, Some(body("a", 1)));
    assert_eq!(both(store, |v| v.document(KIND, "é"))?, Some(body("é", 1)));
    assert_eq!(both(store, |v| v.document(KIND, "A"))?, None);
    assert_eq!(both(store, |v| v.document(KIND, "z"))?, None, "kinds apart");
    assert_eq!(
        both(store, |v| v.document(OTHER, "a"))?,
        Some(b"\x00\xff not UTF-8".to_vec()),
        "bodies are bytes"
    );
    assert_eq!(
        both(store, |v| v.document(OTHER, "z"))?,
        Some(Vec::new()),
        "an empty body is a document"
    );

    let all = both(store, |v| v.documents(KIND, None, 100))?;
    assert_eq!(ids(&all), sorted, "bytewise id order");
    assert!(all.iter().all(|(id, b)| *b == body(id, 1)));
    assert_eq!(
        ids(&both(store, |v| v.documents(OTHER, None, 100))?),
        ["a", "z"]
    );
    assert_eq!(
        ids(&both(store, |v| v.documents("none", None, 100))?),
        Vec::<&str>::new()
    );

    // Paging: each page starts after the last id of the one before.
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = both(store, |v| v.documents(KIND, after.as_deref(), 2))?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        pages.push(page.into_iter().map(|(id, _)| id).collect::<Vec<_>>());
    }
    assert_eq!(pages, [vec!["B", "a"], vec!["a-1", "b"], vec!["é"]]);
    for (after, expected) in [
        ("A", &sorted[..]),
        ("a-0", &sorted[2..]),
        ("a-1", &sorted[3..]),
        ("c", &sorted[4..]),
        ("é", &[][..]),
        ("\u{10FFFF}", &[][..]),
    ] {
        let page = both(store, |v| v.documents(KIND, Some(after), 100))?;
        assert_eq!(ids(&page), expected, "after {after:?}");
    }
    assert_eq!(both(store, |v| v.documents(KIND, None, 0))?, vec![]);
    assert_eq!(ids(&both(store, |v| v.documents(KIND, None, 1))?), ["B"]);

    // Replace.
    tx(store, |tx| tx.put_document(KIND, "a", body("a", 2)))?;
    assert_eq!(both(store, |v| v.document(KIND, "a"))?, Some(body("a", 2)));
    assert_eq!(
        both(store, |v| v.documents(KIND, None, 100))?.len(),
        5,
        "replaced, not added"
    );
    assert_eq!(
        both(store, |v| v.document(OTHER, "a"))?,
        Some(b"\x00\xff not UTF-8".to_vec()),
        "the other kind's \"a\" is another document"
    );

    // Delete, and delete again.
    assert!(tx(store, |tx| tx.delete_document(KIND, "b"))?);
    assert!(
        !tx(store, |tx| tx.delete_document(KIND, "b"))?,
        "already gone"
    );
    assert!(
        !tx(store, |tx| tx.delete_document(KIND, "z"))?,
        "only in the other kind"
    );
    assert_eq!(both(store, |v| v.document(KIND, "b"))?, None);
    assert_eq!(
        ids(&both(store, |v| v.documents(KIND, None, 100))?),
        ["B", "a", "a-1", "é"]
    );
    assert_eq!(
        ids(&both(store, |v| v.documents(OTHER, None, 100))?),
        ["a", "z"]
    );

    let before = read(store, |v| {
        Ok((
            v.documents(KIND, None, 100)?,
            v.documents(OTHER, None, 100)?,
        ))
    })?;

    // A refused transaction writes nothing.
    let failed: Result<(), Refusal> = store.transact(&mut |tx| {
        tx.put_document(KIND, "new", body("new", 1))?;
        tx.put_document(KIND, "a", body("a", 3))?;
        assert!(tx.delete_document(KIND, "B")?);
        assert!(tx.delete_document(OTHER, "z")?);
        Err(Refusal::Refused)
    });
    assert_eq!(failed, Err(Refusal::Refused));
    let after_failed = read(store, |v| {
        Ok((
            v.documents(KIND, None, 100)?,
            v.documents(OTHER, None, 100)?,
        ))
    })?;
    assert_eq!(
        after_failed, before,
        "nothing of the refused transaction remains"
    );

    // A transaction reads its own puts and deletions, in listings and pages too.
    let seen = tx(store, |tx| {
        tx.put_document(KIND, "a0", body("a0", 1))?;
        assert_eq!(tx.document(KIND, "a0")?, Some(body("a0", 1)));
        tx.put_document(KIND, "a0", body("a0", 2))?;
        assert_eq!(
            tx.document(KIND, "a0")?,
            Some(body("a0", 2)),
            "last write wins"
        );
        assert!(tx.delete_document(KIND, "B")?);
        assert!(
            !tx.delete_document(KIND, "B")?,
            "deleted earlier in this transaction"
        );
        assert_eq!(tx.document(KIND, "B")?, None);
        tx.put_document(KIND, "c", body("c", 1))?;
        assert!(
            tx.delete_document(KIND, "c")?,
            "put earlier in this transaction"
        );
        assert_eq!(tx.document(KIND, "c")?, None);
        tx.put_document(OTHER, "a0", body("other", 1))?;
        assert_eq!(
            ids(&tx.documents(KIND, None, 100)?),
            ["a", "a-1", "a0", "é"]
        );
        assert_eq!(ids(&tx.documents(KIND, None, 2)?), ["a", "a-1"]);
        assert_eq!(ids(&tx.documents(KIND, Some("a-1"), 2)?), ["a0", "é"]);
        assert_eq!(ids(&tx.documents(KIND, Some("B"), 1)?), ["a"]);
        assert_eq!(ids(&tx.documents(OTHER, None, 100)?), ["a", "a0", "z"]);
        Ok((
            tx.documents(KIND, None, 100)?,
            tx.documents(OTHER, None, 100)?,
        ))
    })?;
    let committed = read(store, |v| {
        Ok((
            v.documents(KIND, None, 100)?,
            v.documents(OTHER, None, 100)?,
        ))
    })?;
    assert_eq!(seen, committed, "committed as seen");

    // Kinds and ids are checked, in reads and writes alike.
    let long_kind = "k".repeat(65);
    let long_id = "x".repeat(257);
    let bad: [(&str, &str); 9] = [
        ("", "a"),
        ("Availability", "a"),
        ("a/b", "a"),
        ("a b", "a"),
        ("é", "a"),
        (&long_kind, "a"),
        (KIND, ""),
        (KIND, "a\0b"),
        (KIND, &long_id),
    ];
    for (kind, id) in bad {
        let key = format!("documents/{kind}/{id}");
        let key = if id.len() > 256 {
            format!("documents/{kind}/{}…", &id[..256])
        } else {
            key
        };
        assert_refused(tx(store, |tx| tx.put_document(kind, id, Vec::new())), &key);
        assert_refused(tx(store, |tx| tx.delete_document(kind, id)), &key);
        assert_refused(read(store, |v| v.document(kind, id)), &key);
        assert_refused(tx(store, |tx| tx.document(kind, id)), &key);
        assert_refused(read(store, |v| v.documents(kind, Some(id), 10)), &key);
    }
    assert_refused(
        read(store, |v| v.documents("Bad", None, 10)),
        "documents/Bad",
    );
    assert_eq!(read(store, |v| v.documents(OTHER, None, 100))?, committed.1);

    // The limits themselves are accepted: a 64-character kind, a 256-byte id.
    let (kind, id) = ("a-z_0.9.".repeat(8), "é".repeat(128));
    assert_eq!((kind.len(), id.len()), (64, 256));
    tx(store, |tx| tx.put_document(&kind, &id, body("max", 1)))?;
    assert_eq!(
        both(store, |v| v.document(&kind, &id))?,
        Some(body("max", 1))
    );
    assert_eq!(
        ids(&both(store, |v| v.documents(&kind, None, 10))?),
        [id.as_str()]
    );
    Ok(())
}
