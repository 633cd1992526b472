//! Ids in their one form, Unicode NFC (the front end applies it to every id of a document;
//! hosts apply [`normalize_id`] to the names they pass).

use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// `text` in Unicode NFC, borrowed when it already is (all ASCII ids are).
///
/// ```
/// let decomposed = "co\u{302}ng_an"; // `công_an` typed as base letters and marks
/// assert_eq!(directrix_core::workflow::normalize_id(decomposed), "c\u{f4}ng_an");
/// assert!(matches!(directrix_core::workflow::normalize_id("health"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalize_id(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Puts `id` in NFC, in place.
pub(crate) fn id(id: &mut String) {
    if let Cow::Owned(normal) = normalize_id(id) {
        *id = normal;
    }
}
