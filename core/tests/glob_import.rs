//! `use directrix_core::*;` shadows nothing a host relies on. A glob import takes
//! precedence over the prelude, so a crate-root name equal to a prelude item (a struct
//! `Copy` did) silently replaces it: this file then fails to compile. Next to a glob of a
//! std module, an equal name is ambiguous where it is used, which fails too.

#![allow(clippy::clone_on_copy)]

// Every public module is globbed as well: a name in any of them must not shadow either.
// The globs shadow whether or not this file uses their names, hence "unused".
use directrix_core::*;
#[allow(unused_imports)]
use directrix_core::{
    analysis::*, compiled::*, diagnostic::*, inspect::*, instance::*, limits::*, record::*,
    render::*, simulation::*, spec::*, time::*, workflow::*,
};

/// A type that uses the prelude's traits by hand (derives are macros, which no type
/// shadows).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Probe(u8);

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Clone for Probe {
    fn clone(&self) -> Self {
        *self
    }
}

impl Copy for Probe {}

impl Default for Probe {
    fn default() -> Self {
        Probe(7)
    }
}

impl From<u8> for Probe {
    fn from(n: u8) -> Self {
        Probe(n)
    }
}

impl AsRef<u8> for Probe {
    fn as_ref(&self) -> &u8 {
        &self.0
    }
}

impl Drop for Holder {
    fn drop(&mut self) {}
}

struct Holder;

fn thread_safe<T: Send + Sync + Sized + Unpin + 'static>(_: &T) {}

fn call<F: Fn(u8) -> u8>(f: F) -> u8 {
    f(1)
}

fn call_once<F: FnOnce() -> String>(f: F) -> String {
    f()
}

fn call_mut<F: FnMut()>(mut f: F) {
    f()
}

fn totally_ordered<T: Eq + Ord + PartialOrd + PartialEq + ToOwned + ToString>() {}

fn total<I: Iterator<Item = u8>>(items: I) -> u32 {
    items.map(u32::from).sum()
}

#[test]
fn the_prelude_survives_a_glob_import() {
    let probe = Probe::default();
    let copied = probe;
    assert_eq!(probe.clone(), copied, "Probe is Copy");
    assert_eq!(Probe::from(3u8), Probe(3));
    let converted: Probe = 4.into();
    assert_eq!(*converted.as_ref(), 4);
    drop(Holder);

    let some: Option<u8> = Some(1);
    let none: Option<u8> = None;
    assert!(matches!((some, none), (Some(1), None)));
    let ok: Result<u8, String> = Ok(2);
    let err: Result<u8, String> = Err(String::from("e"));
    assert!(matches!((&ok, &err), (Ok(2), Err(_))));

    let boxed: Box<u8> = Box::new(5);
    let mut list: Vec<u8> = Vec::new();
    list.extend([*boxed, 6]);
    assert_eq!(total(list.iter().copied()), 11);
    assert_eq!(
        list.iter().rev().count(),
        list.len(),
        "DoubleEndedIterator, ExactSizeIterator"
    );
    let collected: Vec<u8> = FromIterator::from_iter(list.clone());
    let narrowed: u8 = u16::from(9u8).try_into().unwrap();
    assert_eq!(u8::try_from(9u16).unwrap(), narrowed);
    assert_eq!(collected, list);
    assert_eq!(5.to_string(), "5".to_owned());
    assert_eq!(call(|n| n + 1), 2);
    assert_eq!(call_once(String::new), "");
    call_mut(|| list.push(0));
    thread_safe(&list);
    assert_eq!(size_of::<u8>(), align_of::<u8>());
    assert_eq!(size_of_val(&list[0]), align_of_val(&list[0]));
    let pair = (Probe(1), Probe(2));
    assert!(pair.0 < pair.1);
    assert!(PartialEq::eq(&pair.0, &Probe(1)));
    totally_ordered::<Probe>();

    // The glob still brings the crate's own names.
    let workflow = load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
        .unwrap()
        .workflow;
    let lines: &[CopyLine] = &workflow.directive().copies;
    assert!(!lines.is_empty());
    let _: Option<AgencyId> = lines[0].to;
}

/// Names of std modules a host often globs or imports beside the crate's: used here
/// unqualified, each is ambiguous (so this fails to compile) if the crate root has it too.
mod beside_std {
    use directrix_core::*;
    use std::cmp::*;
    use std::collections::*;
    use std::error::*;
    use std::fmt::{Arguments, Debug, Display, Formatter, Write};
    use std::hash::*;
    use std::ops::*;
    use std::sync::*;
    use std::time::*;

    #[allow(dead_code)]
    type Names<'a> = (
        &'a dyn Error,
        &'a dyn Debug,
        &'a dyn Display,
        &'a dyn Write,
        &'a Formatter<'a>,
        Arguments<'a>,
        Duration,
        Instant,
        SystemTime,
        Ordering,
        Reverse<u8>,
        Range<u8>,
        RangeInclusive<u8>,
        &'a dyn Hasher,
        &'a dyn Deref<Target = u8>,
        HashMap<u8, u8>,
        HashSet<u8>,
        BTreeMap<u8, u8>,
        BTreeSet<u8>,
        VecDeque<u8>,
        BinaryHeap<u8>,
        Arc<u8>,
        Mutex<u8>,
        RwLock<u8>,
        Workflow,
    );

    #[allow(dead_code)]
    fn bounds<T: Hash + Add<Output = T> + Error + Debug + Display>() {}
}
