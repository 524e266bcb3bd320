//! Which index a package comes from (UV-SEMANTICS.md §5.1).

use crate::value::IndexStrategy;

/// A release number compared numerically component by component (`1.10` > `1.9`).
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Picks `(index position, version)` the way uv's strategy does, given what each index in search
/// order offers for the name (`None`: the index does not have the name) and which versions
/// satisfy the requirement. `None` when nothing is chosen (uv: `No solution found`).
pub fn pick_version<'a>(
    strategy: IndexStrategy,
    offers: &[Option<Vec<&'a str>>],
    satisfies: &dyn Fn(&str) -> bool,
) -> Option<(usize, &'a str)> {
    let best = |versions: &[&'a str]| {
        versions
            .iter()
            .copied()
            .filter(|v| satisfies(v))
            .max_by_key(|v| version_key(v))
    };
    match strategy {
        IndexStrategy::FirstIndex => {
            let (pos, versions) = offers
                .iter()
                .enumerate()
                .find_map(|(i, o)| o.as_ref().map(|v| (i, v)))?;
            best(versions).map(|v| (pos, v))
        }
        IndexStrategy::UnsafeFirstMatch => offers
            .iter()
            .enumerate()
            .find_map(|(i, o)| o.as_deref().and_then(best).map(|v| (i, v))),
        IndexStrategy::UnsafeBestMatch => offers
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.as_deref().and_then(best).map(|v| (i, v)))
            .max_by(|a, b| version_key(a.1).cmp(&version_key(b.1)).then(b.0.cmp(&a.0))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_as_measured() {
        let offers = vec![Some(vec!["1.0"]), Some(vec!["1.0", "2.0"])];
        let any = |_: &str| true;
        let ge2 = |v: &str| version_key(v) >= vec![2];
        assert_eq!(
            pick_version(IndexStrategy::FirstIndex, &offers, &any),
            Some((0, "1.0"))
        );
        assert_eq!(pick_version(IndexStrategy::FirstIndex, &offers, &ge2), None);
        assert_eq!(
            pick_version(IndexStrategy::UnsafeFirstMatch, &offers, &any),
            Some((0, "1.0"))
        );
        assert_eq!(
            pick_version(IndexStrategy::UnsafeFirstMatch, &offers, &ge2),
            Some((1, "2.0"))
        );
        assert_eq!(
            pick_version(IndexStrategy::UnsafeBestMatch, &offers, &any),
            Some((1, "2.0"))
        );
        assert_eq!(
            pick_version(IndexStrategy::FirstIndex, &[None, Some(vec!["1.0"])], &any),
            Some((1, "1.0"))
        );
    }
}
