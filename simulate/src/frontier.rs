//! Comparison at equal cost: a reference strategy run at several settings of its one knob traces a frontier of
//! cost against shortfall, and a strategy is placed against it. For replicas the reference is the HPA alone at
//! several target utilisations (pod-hours against under-provisioned pod-minutes); for container requests, the VPA
//! recommender's rule at several safety margins (reserved core- or GiB-hours against throttled or over-limit
//! minutes).
//!
//! Spending more only moves a strategy *along* the frontier (a lower target buys less under-provisioning with more
//! pod-hours); foresight moves it *below*. So a strategy is judged by two readings off the frontier, by linear
//! interpolation between its points:
//! - the reference's shortfall at the strategy's cost (what the same money buys reactively), and
//! - the reference's cost at the strategy's shortfall (what the same protection costs reactively).
//!
//! The frontier is read as the least shortfall for a given cost: points are ordered by cost, and a point that costs
//! more than another yet falls shorter is dropped (it is not on the frontier). Outside the measured range the
//! outermost segment is extended (never below zero) and the reading says it was extrapolated. For a set of traces,
//! frontiers are summed setting by setting before reading, as the figures of the set are.

use serde::Serialize;

use crate::replay::Figures;

/// Target utilisations of the HPA frontier: 40% to 90%, every 10%.
pub const FRONTIER_TARGETS: [f64; 6] = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// The HPA alone at one target utilisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// Target utilisation, a fraction.
    pub target: f64,
    /// Its figures.
    pub figures: Figures,
}

/// The HPA's frontier: its figures at several targets.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Frontier {
    /// The points, by target.
    pub points: Vec<FrontierPoint>,
}

/// A figure read off the frontier.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Reading {
    /// The value.
    pub value: f64,
    /// Whether it lies outside the frontier's measured range.
    pub extrapolated: bool,
}

/// A strategy placed against the frontier.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EqualCost {
    /// The reference's shortfall at the strategy's cost.
    pub shortfall_at_equal_cost: Reading,
    /// The strategy's shortfall against that, in percent (negative: less); `None` when the reference's is zero.
    pub shortfall_change_pct: Option<f64>,
    /// The reference's cost at the strategy's shortfall.
    pub cost_at_equal_shortfall: Reading,
    /// The strategy's cost against that, in percent (negative: cheaper); `None` when that is zero.
    pub cost_change_pct: Option<f64>,
}

/// A point of cost against shortfall.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CostPoint {
    /// What it costs (pod-hours, reserved core-hours, ...).
    pub cost: f64,
    /// How far short it falls (under-provisioned pod-minutes, throttled minutes, ...).
    pub shortfall: f64,
}

impl From<&Figures> for CostPoint {
    fn from(figures: &Figures) -> Self {
        Self { cost: figures.pod_hours, shortfall: figures.underprovisioned_pod_minutes }
    }
}

/// The efficient polyline of `points`: by increasing cost, each point falling shorter less than every cheaper one.
fn efficient(points: impl IntoIterator<Item = CostPoint>) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> =
        points.into_iter().map(|p| (p.cost, p.shortfall)).filter(|(c, s)| c.is_finite() && s.is_finite()).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut efficient: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for point in points {
        match efficient.last() {
            Some(last) if point.1 >= last.1 => {}
            Some(last) if point.0 <= last.0 => {
                efficient.pop();
                efficient.push(point);
            }
            _ => efficient.push(point),
        }
    }
    efficient
}

/// `strategy` against the frontier traced by `reference`; `None` with fewer than two efficient points.
pub fn equal_cost(reference: impl IntoIterator<Item = CostPoint>, strategy: CostPoint) -> Option<EqualCost> {
    let curve = efficient(reference);
    let shortfall = interpolate(&curve, strategy.cost, |p| p.0, |p| p.1)?;
    let mut backwards = curve;
    // Along the efficient curve shortfall falls as cost rises: read it backwards.
    backwards.reverse();
    let cost = interpolate(&backwards, strategy.shortfall, |p| p.1, |p| p.0)?;
    Some(EqualCost {
        shortfall_at_equal_cost: shortfall,
        shortfall_change_pct: change_percent(strategy.shortfall, shortfall.value),
        cost_at_equal_shortfall: cost,
        cost_change_pct: change_percent(strategy.cost, cost.value),
    })
}

impl Frontier {
    /// Sums frontiers of several traces target by target; targets missing from any trace are left out.
    pub fn sum<'a>(frontiers: impl IntoIterator<Item = &'a Frontier>) -> Frontier {
        let mut total: Option<Frontier> = None;
        for frontier in frontiers {
            total = Some(match total {
                None => frontier.clone(),
                Some(sum) => Frontier {
                    points: sum
                        .points
                        .iter()
                        .filter_map(|p| {
                            let other = frontier.points.iter().find(|o| (o.target - p.target).abs() < 1e-9)?;
                            Some(FrontierPoint { target: p.target, figures: p.figures.plus(other.figures) })
                        })
                        .collect(),
                },
            });
        }
        total.unwrap_or_default()
    }

    /// `figures` against the frontier; `None` when it has fewer than two efficient points.
    pub fn equal_cost(&self, figures: &Figures) -> Option<EqualCost> {
        equal_cost(self.points.iter().map(|p| CostPoint::from(&p.figures)), CostPoint::from(figures))
    }
}

/// Change of `new` over `old` in percent; `None` when `old` is not positive.
pub fn change_percent(new: f64, old: f64) -> Option<f64> {
    (old > 0.0).then(|| (new - old) / old * 100.0)
}

/// `y` at `x` on the polyline `curve`, ordered by increasing `x`: linear between neighbours, the outermost segment
/// extended outside (never below zero).
fn interpolate<P>(curve: &[P], x: f64, fx: impl Fn(&P) -> f64, fy: impl Fn(&P) -> f64) -> Option<Reading> {
    if curve.len() < 2 || !x.is_finite() {
        return None;
    }
    let last = curve.len() - 1;
    let segment = match curve.iter().position(|p| fx(p) >= x) {
        Some(0) => 0,
        Some(i) => i - 1,
        None => last - 1,
    };
    let (a, b) = (&curve[segment], &curve[segment + 1]);
    let (x0, x1, y0, y1) = (fx(a), fx(b), fy(a), fy(b));
    let value = if x1 > x0 { y0 + (y1 - y0) * (x - x0) / (x1 - x0) } else { y0 };
    let extrapolated = x < fx(&curve[0]) || x > fx(&curve[last]);
    Some(Reading { value: value.max(0.0), extrapolated })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(target: f64, hours: f64, under: f64) -> FrontierPoint {
        FrontierPoint { target, figures: Figures { underprovisioned_pod_minutes: under, pod_hours: hours, actions: 0 } }
    }

    fn frontier() -> Frontier {
        Frontier { points: vec![point(0.5, 200.0, 10.0), point(0.7, 150.0, 30.0), point(0.9, 100.0, 90.0)] }
    }

    fn at(f: &Frontier, hours: f64, under: f64) -> EqualCost {
        f.equal_cost(&Figures { underprovisioned_pod_minutes: under, pod_hours: hours, actions: 0 }).unwrap()
    }

    #[test]
    fn reads_both_ways_by_linear_interpolation() {
        let e = at(&frontier(), 175.0, 60.0);
        assert!((e.shortfall_at_equal_cost.value - 20.0).abs() < 1e-9 && !e.shortfall_at_equal_cost.extrapolated);
        assert!((e.cost_at_equal_shortfall.value - 125.0).abs() < 1e-9 && !e.cost_at_equal_shortfall.extrapolated);
        // At a point's own cost, its own figure.
        assert!((at(&frontier(), 150.0, 1.0).shortfall_at_equal_cost.value - 30.0).abs() < 1e-9);
    }

    #[test]
    fn extrapolates_outside_never_below_zero_and_says_so() {
        let beyond = at(&frontier(), 250.0, 1.0).shortfall_at_equal_cost;
        assert!(beyond.extrapolated);
        assert_eq!(beyond.value, 0.0, "20 per 50 pod-hours would go below zero");
        let cheap = at(&frontier(), 50.0, 1.0).shortfall_at_equal_cost;
        assert!(cheap.extrapolated && (cheap.value - 150.0).abs() < 1e-9, "{cheap:?}");
    }

    #[test]
    fn equal_cost_places_a_strategy_below_or_above() {
        let e = at(&frontier(), 150.0, 10.0);
        assert!((e.shortfall_change_pct.unwrap() + 66.666_666).abs() < 1e-3, "{e:?}");
        assert!((e.cost_change_pct.unwrap() + 25.0).abs() < 1e-9, "{e:?}");
        let e = at(&frontier(), 175.0, 20.0);
        assert!(e.shortfall_change_pct.unwrap().abs() < 1e-9 && e.cost_change_pct.unwrap().abs() < 1e-9);
    }

    #[test]
    fn points_off_the_frontier_are_ignored() {
        let mut f = frontier();
        // Costs more than the 0.7 point and under-provisions more: dominated.
        f.points.push(point(0.6, 160.0, 50.0));
        assert!((at(&f, 175.0, 1.0).shortfall_at_equal_cost.value - 20.0).abs() < 1e-9);
        assert!(Frontier { points: vec![point(0.7, 1.0, 1.0)] }.equal_cost(&Figures::default()).is_none());
    }

    #[test]
    fn sums_target_by_target() {
        let a = frontier();
        let mut b = frontier();
        b.points.remove(0);
        let total = Frontier::sum([&a, &b]);
        assert_eq!(total.points.len(), 2);
        assert_eq!(total.points[0].figures.pod_hours, 300.0);
        assert_eq!(Frontier::sum([]).points.len(), 0);
    }
}
