//! Maven versions, ordered like Maven's `ComparableVersion` (maven-artifact 3.8/3.9).
//!
//! The version is lower-cased and split into items at `.`, at `-` and at every switch between
//! digits and non-digits. A `-` or a switch opens a nested list, and so does a qualifier that ends
//! at a digit or at the end of the version, so `1.0-alpha-1` is `[1, [alpha, [1]]]` and `1.0.RC1`
//! is `[1, [rc, [1]]]`. Numbers compare by value (no size limit); qualifiers order as
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, then unknown
//! qualifiers alphabetically after all of them; `a`, `b` and `m` directly followed by a digit mean
//! `alpha`, `beta` and `milestone`. Trailing "null" items (`0`, `""`, empty lists) are dropped
//! from every list, so `1 == 1.0 == 1-0 == 1.ga`. Between kinds: a number beats a list, which beats
//! a qualifier (`1.1 > 1-1 > 1-sp`). A missing item is compared as null.
//!
//! One difference from `ComparableVersion`, on the side of the published Version Order
//! Specification and the OSV reference vectors: a release qualifier (`ga`, `final`, `release`)
//! between two hyphens is trimmed together with the nesting level it opened, so
//! `1-ga-1 == 1-1` (maven-artifact 3.8 keeps `[1, [[1]]]` and orders it below `1-1`). Also,
//! maven-artifact gives a run of ten or more zeros the type of a large number and then orders it
//! above small non-zero numbers; here zero is zero.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::{cmp_digits, is_zero, strip_zeros};

const SCHEME: &str = "maven";

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The index of the release qualifier `""` in [`QUALIFIERS`].
const RELEASE: usize = 5;

#[derive(Clone, Debug)]
enum Item {
    /// A number, without leading zeros.
    Int(Box<str>),
    /// A qualifier: its index in [`QUALIFIERS`] (7 for unknown ones) and its text.
    Str(usize, Box<str>),
    /// A nested list, and whether a `-` opened it (rather than a digit/letter switch).
    List(Vec<Item>, bool),
}

impl Item {
    fn qualifier(text: &str, followed_by_digit: bool) -> Item {
        let text = match text {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        let index = QUALIFIERS
            .iter()
            .position(|q| *q == text)
            .unwrap_or(QUALIFIERS.len());
        Item::Str(index, text.into())
    }

    fn number(digits: &str) -> Item {
        Item::Int(strip_zeros(digits).into())
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => is_zero(n),
            Item::Str(index, _) => *index == RELEASE,
            Item::List(items, _) => items.is_empty(),
        }
    }

    /// `ComparableVersion.Item.compareTo`, where `None` is Java's `null`.
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(n), None) => {
                if is_zero(n) {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a, b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(index, _), None) => index.cmp(&RELEASE),
            (Item::Str(..), Some(Item::Int(_) | Item::List(..))) => Ordering::Less,
            (Item::Str(i, a), Some(Item::Str(j, b))) => i.cmp(j).then_with(|| {
                if *i == QUALIFIERS.len() {
                    a.cmp(b)
                } else {
                    Ordering::Equal
                }
            }),
            (Item::List(items, _), None) => items
                .iter()
                .map(|item| item.compare(None))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            (Item::List(..), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(..), Some(Item::Str(..))) => Ordering::Greater,
            (Item::List(a, _), Some(Item::List(b, _))) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.compare(r),
            (None, Some(r)) => r.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// `ListItem.normalize`: drop null items from the end, looking through nested lists.
///
/// Our one addition: in a nested list, when dropping a release qualifier (`ga`, `final`,
/// `release`) leaves only the list its `-` opened, that list's items take its place
/// (`1-ga-1 == 1-1`).
fn normalize(items: &mut Vec<Item>, nested: bool) {
    // Everything after the last item that is neither null nor a list loses its null items.
    let cut = items
        .iter()
        .rposition(|it| !it.is_null() && !matches!(it, Item::List(..)))
        .map_or(0, |p| p + 1);
    let mut dropped_qualifier = false;
    for item in items.split_off(cut) {
        if item.is_null() {
            dropped_qualifier |= matches!(item, Item::Str(..));
        } else {
            items.push(item);
        }
    }
    if nested
        && dropped_qualifier
        && matches!(items.as_slice(), [Item::List(_, true)])
        && let Some(Item::List(inner, _)) = items.pop()
    {
        *items = inner;
    }
}

/// A parsed Maven version.
#[derive(Clone, Debug)]
pub struct MavenVersion {
    items: Vec<Item>,
}

/// The lists being filled while parsing, outermost first; only the innermost one receives items.
struct OpenLists(Vec<(Vec<Item>, bool)>);

impl OpenLists {
    fn push(&mut self, item: Item) {
        if let Some((list, _)) = self.0.last_mut() {
            list.push(item);
        }
    }

    /// Opens a list inside the current one (`hyphen`: opened by a `-`).
    fn open(&mut self, hyphen: bool) {
        self.0.push((Vec::new(), hyphen));
    }

    fn current_is_empty(&self) -> bool {
        self.0.last().is_none_or(|(list, _)| list.is_empty())
    }

    /// Closes every list from the innermost out, normalizing each, and returns the root.
    fn close(mut self) -> Vec<Item> {
        while self.0.len() > 1 {
            if let Some((mut list, hyphen)) = self.0.pop() {
                normalize(&mut list, true);
                self.push(Item::List(list, hyphen));
            }
        }
        let mut root = self.0.pop().map(|(list, _)| list).unwrap_or_default();
        normalize(&mut root, false);
        root
    }
}

/// Builds the item tree the way `ComparableVersion.parseVersion` does.
fn parse_items(version: &str) -> Vec<Item> {
    let version = version.to_lowercase();
    let mut lists = OpenLists(vec![(Vec::new(), false)]);
    let mut is_digit = false;
    let mut start = 0;
    let parse_item = |is_digit: bool, text: &str| {
        if is_digit {
            Item::number(text)
        } else {
            Item::qualifier(text, false)
        }
    };
    for (i, c) in version.char_indices() {
        if c == '.' || c == '-' {
            lists.push(if i == start {
                Item::Int("0".into())
            } else {
                parse_item(is_digit, &version[start..i])
            });
            start = i + 1;
            if c == '-' {
                lists.open(true);
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // A qualifier before a number goes in a list of its own (`1.0.RC1` reads like
                // `1.0-RC1`).
                if !lists.current_is_empty() {
                    lists.open(false);
                }
                lists.push(Item::qualifier(&version[start..i], true));
                start = i;
                lists.open(false);
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                lists.push(Item::number(&version[start..i]));
                start = i;
                lists.open(false);
            }
            is_digit = false;
        }
    }
    if version.len() > start {
        // So does a qualifier at the end (`1.0.RC` reads like `1.0-RC`).
        if !is_digit && !lists.current_is_empty() {
            lists.open(false);
        }
        lists.push(parse_item(is_digit, &version[start..]));
    }
    lists.close()
}

impl FromStr for MavenVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        Ok(MavenVersion {
            items: parse_items(s),
        })
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Item]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(if matches!(item, Item::List(..)) {
                "-"
            } else {
                "."
            })?;
        }
        match item {
            Item::Int(n) => f.write_str(n)?,
            Item::Str(_, s) => f.write_str(s)?,
            Item::List(inner, _) => write_list(f, inner)?,
        }
    }
    Ok(())
}

/// The canonical form, as `ComparableVersion.getCanonical()` prints it.
impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, &self.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> MavenVersion {
        s.parse().unwrap()
    }

    #[test]
    fn canonical_forms_match_maven() {
        // As printed by `java -jar maven-artifact-3.8.7.jar`.
        for (input, canonical) in [
            ("1", "1"),
            ("1.0", "1"),
            ("1-a", "1-a"),
            ("1a", "1-a"),
            ("1.0-alpha-1", "1-alpha-1"),
            ("1.0.0-SNAPSHOT", "1-snapshot"),
            ("1.2.7", "1.2.7"),
            ("1-1.foo-bar1baz-.1", "1-1.foo-bar-1-baz-0.1"),
            ("1.0RC1", "1-rc-1"),
            ("2.0.1-xyz", "2.0.1-xyz"),
        ] {
            assert_eq!(v(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn qualifier_order() {
        let order = [
            "1-alpha-1",
            "1-beta-1",
            "1-milestone-1",
            "1-rc-1",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.1",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1cr"), v("1rc"));
        assert_eq!(v("1RELEASE"), v("1"));
        assert_eq!(v("1a1"), v("1-alpha-1"));
    }

    #[test]
    fn null_items_and_nesting() {
        assert_eq!(v("1-ga-1"), v("1-1"));
        assert_eq!(v("1-final-1"), v("1-1"));
        // As maven-artifact: only a dropped qualifier takes its nesting level with it.
        assert!(v("1--1") < v("1-1"));
        assert!(v("ga-1") < v("1"));
        assert!(v("0.0.0-2021-05-17T01-01-51-5ec03a8b") < v("20.0.0"));
        assert_eq!(v("1."), v("1"));
        assert_eq!(v("1-"), v("1"));
        assert_eq!(v("0000000000"), v("0"));
        assert!(v("5") > v("0000000000"));
        assert!(v("1.999999999999999999999999999991") < v("1.999999999999999999999999999999"));
        assert!(v("20190126.230843") < v("1234567890.12345"));
    }
}
