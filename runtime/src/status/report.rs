//! What one runtime pod publishes: its figures, how far its models are, and its entries of the kind's lists. Built
//! on the pipeline side (where the models are) into owned values, so the publisher can apply it on its own task.

use augur_crds::kinds::{
    anomaly_detector::AnomalySummary,
    forecaster::{ForecastAccuracy, PublishedForecast},
    log_clusterer::TemplateSummary,
};

use crate::time::Millis;

/// One pod's view of its part of the resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodReport {
    /// Partitions the pod reads.
    pub partitions: Vec<i32>,
    /// Series (or templates) tracked.
    pub series_tracked: i64,
    /// Records processed since the pod started.
    pub records: u64,
    /// Records per second since the previous report.
    pub records_per_second: f64,
    /// Records dead-lettered since the pod started.
    pub dead_letters: u64,
    /// When the pod last produced a result (wall clock).
    pub last_result: Option<Millis>,
    /// How far the models are.
    pub model: ModelProgress,
    /// The kind's entries.
    pub entries: KindEntries,
}

/// Whether the models of a pod have enough history, and what they still need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelProgress {
    /// Every model is ready (a pod with no series yet is not).
    pub ready: bool,
    /// For people: how many series are ready, which are not and when they will be.
    pub message: String,
}

/// The entries of the kind's lists that this pod holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum KindEntries {
    /// Nothing kind-specific (yet).
    #[default]
    None,
    /// Forecaster: the published forecasts and the accuracy over this pod's series.
    Forecasts {
        /// Forecasts of the series AutoScalePolicies use (or every series, bounded).
        forecasts: Vec<PublishedForecast>,
        /// Mean accuracy over this pod's series.
        accuracy: Option<ForecastAccuracy>,
        /// Series with an accuracy measure (the weight of this pod's accuracy in the total).
        measured: usize,
    },
    /// AnomalyDetector: series anomalous now, and the latest anomaly of the most recently anomalous series.
    Anomalies {
        /// Series whose latest point is anomalous.
        active: i32,
        /// Newest first, bounded.
        recent: Vec<AnomalySummary>,
    },
    /// LogClusterer: templates, groups, and the most frequent templates.
    Templates {
        /// Templates known.
        templates: i64,
        /// Groups after the last grouping run, if grouping is on.
        groups: Option<i64>,
        /// The most frequent templates, bounded.
        top: Vec<TemplateSummary>,
    },
}
