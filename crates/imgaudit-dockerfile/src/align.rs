//! The sequence alignment behind [`crate::map_history`]: a dynamic programme over history
//! steps × instructions, O(n·m) time, O(m) scores and n·m bits of memory.

use crate::Strength;

/// An alignment: the matched pairs (history step, instruction, strength) in order.
#[derive(Debug)]
pub(crate) struct Alignment {
    pub(crate) score: i64,
    pub(crate) pairs: Vec<(usize, usize, Strength)>,
}

/// Weights of a match: one strong match outweighs several weak ones.
fn weight(strength: Strength) -> i64 {
    match strength {
        Strength::Strong => 8,
        Strength::Medium => 4,
        Strength::Weak => 2,
    }
}

/// Far below any reachable score, far above overflow.
const NEG: i64 = i64::MIN / 4;

/// Aligns history steps `0..n` with instructions `0..m`. `matches(i)` lists the
/// instructions step `i` matches, with the strength of each match (a sparse row: most pairs
/// differ already by keyword).
///
/// The shape: steps before the first matched one are free (they are the base image's), and
/// from the first matched step on, every step matches one instruction, in order. Instructions
/// may go without a step; those before the first match are free, later ones cost
/// `penalty(j)` (so that a stage that leaves nothing unexplained beats a longer one).
/// Among equal scores the later start wins: fewer steps are claimed.
pub(crate) fn align(
    n: usize,
    m: usize,
    penalty: impl Fn(usize) -> i64,
    matches: impl Fn(usize) -> Vec<(usize, Strength)>,
) -> Option<Alignment> {
    if n == 0 || m == 0 {
        return None;
    }
    let cells = n.checked_mul(m)?;
    // One bit per cell: whether the best way to align steps i.. with instructions j.. matches
    // step i with instruction j.
    let mut took = vec![0_u64; cells.div_ceil(64)];
    let bit = |i: usize, j: usize| i * m + j;
    let penalties: Vec<i64> = (0..m).map(&penalty).collect();
    // The current row's match weights, dense; reset after each row.
    let mut row = vec![0_i64; m];

    // `next[j]`: best score for steps i+1.. against instructions j.. (all steps matched).
    // Past the last step, what remains are unmatched instructions.
    let mut next = vec![0_i64; m + 1];
    for j in (0..m).rev() {
        next[j] = next[j + 1] - penalties[j];
    }
    let mut cur = vec![NEG; m + 1];
    let mut start: Option<(i64, usize, usize)> = None;
    for i in (0..n).rev() {
        let found = matches(i);
        for &(j, strength) in &found {
            if let Some(w) = row.get_mut(j) {
                *w = (*w).max(weight(strength));
            }
        }
        cur[m] = NEG;
        for j in (0..m).rev() {
            let skip = if cur[j + 1] > NEG {
                cur[j + 1] - penalties[j]
            } else {
                NEG
            };
            let take = if row[j] > 0 && next[j + 1] > NEG {
                row[j] + next[j + 1]
            } else {
                NEG
            };
            if take > NEG && take >= skip {
                cur[j] = take;
                let b = bit(i, j);
                took[b / 64] |= 1 << (b % 64);
            } else {
                cur[j] = skip;
            }
            if take > NEG && start.is_none_or(|(best, _, _)| take > best) {
                start = Some((take, i, j));
            }
        }
        for &(j, _) in &found {
            if let Some(w) = row.get_mut(j) {
                *w = 0;
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }

    let strength_of = |i: usize, j: usize| {
        matches(i)
            .into_iter()
            .filter(|&(k, _)| k == j)
            .map(|(_, s)| s)
            .max()
    };
    let (score, first, j0) = start?;
    let mut pairs = vec![(first, j0, strength_of(first, j0)?)];
    let (mut step, mut instruction) = (first + 1, j0 + 1);
    while step < n {
        if instruction >= m {
            return None;
        }
        let cell = bit(step, instruction);
        if took[cell / 64] & (1 << (cell % 64)) != 0 {
            pairs.push((step, instruction, strength_of(step, instruction)?));
            step += 1;
        }
        instruction += 1;
    }
    Some(Alignment { score, pairs })
}
