//! LogClusterer: one template miner per partition's processor (template ids are derived from template text, so
//! the same template has the same id in every partition and pod); the log metrics and the status' top templates
//! come from every partition's templates together.

use augur_crds::{kinds::log_clusterer::TemplateSummary, runtime_config::LogConfig};

use super::Kind;
use crate::{
    metrics::RuntimeMetrics,
    models::logs::{LogEvent, LogProcessor, LogSettings, TemplateText, template_id},
    pipeline::Partitioned,
    status::{KindEntries, ModelProgress},
    time::Millis,
};

/// Most templates one pod lists in the status (the schema accepts 256 over all pods).
const TOP_TEMPLATES: usize = 10;

/// Least wall-clock time between two refreshes of the per-template metrics (each walks every template).
const METRICS_REFRESH_MS: Millis = 5_000;

/// A LogClusterer's part of a pipeline.
pub struct LogKind {
    settings: LogSettings,
    last_refresh: Option<Millis>,
}

impl LogKind {
    /// The clusterer `config` describes; a masking rule that does not compile is an error naming it.
    pub fn new(config: &LogConfig) -> Result<Self, String> {
        Ok(Self { settings: LogSettings::try_from(config)?, last_refresh: None })
    }

    /// The processor settings.
    pub fn settings(&self) -> &LogSettings {
        &self.settings
    }
}

/// Every partition's live templates, most frequent first.
fn live(stage: &Partitioned<LogProcessor>) -> Vec<(TemplateText, Option<u64>)> {
    let mut all: Vec<(TemplateText, Option<u64>)> = stage
        .iter()
        .flat_map(|(_, processor)| {
            processor.miner().live_templates().into_iter().map(|t| {
                let group = processor.group_of(t.id);
                (t, group)
            })
        })
        .collect();
    all.sort_by(|a, b| b.0.count.cmp(&a.0.count).then(a.0.id.cmp(&b.0.id)));
    all
}

impl Kind for LogKind {
    type Processor = LogProcessor;
    type Output = LogEvent;

    fn factory(&self) -> Box<dyn Fn() -> LogProcessor + Send> {
        let settings = self.settings.clone();
        Box::new(move || LogProcessor::new(settings.clone()))
    }

    fn observe(
        &mut self,
        stage: &Partitioned<LogProcessor>,
        outputs: &[LogEvent],
        metrics: &RuntimeMetrics,
        now: Millis,
    ) {
        let lines = outputs.iter().filter(|event| matches!(event, LogEvent::Line { .. })).count();
        metrics.logs.count_lines(lines as u64);
        if self.last_refresh.is_none_or(|last| now.saturating_sub(last) >= METRICS_REFRESH_MS) {
            self.last_refresh = Some(now);
            let templates: Vec<TemplateText> = live(stage).into_iter().map(|(t, _)| t).collect();
            metrics.logs.refresh(&templates);
        }
    }

    fn series_tracked(&self, stage: &Partitioned<LogProcessor>) -> i64 {
        stage.iter().map(|(_, processor)| processor.miner().templates() as i64).sum()
    }

    fn report(
        &self,
        stage: &Partitioned<LogProcessor>,
        _: Option<&[String]>,
        _: Millis,
    ) -> (KindEntries, ModelProgress) {
        let templates = live(stage);
        let mut top: Vec<TemplateSummary> = Vec::new();
        for (template, group) in &templates {
            if top.len() >= TOP_TEMPLATES {
                break;
            }
            let id = template_id(template.id);
            if top.iter().any(|t| t.id == id) {
                continue;
            }
            let text = stage.iter().find_map(|(_, p)| p.miner().template(template.id)).unwrap_or_default();
            top.push(TemplateSummary {
                id,
                pod: None,
                template: text.chars().take(4096).collect(),
                count: i64::try_from(template.count).unwrap_or(i64::MAX),
                group: group.map(template_id),
            });
        }
        let groups = stage.iter().filter_map(|(_, p)| p.groups()).max().map(|g| g as i64);
        let lines: u64 = templates.iter().map(|(t, _)| t.count).sum();
        let model = if lines == 0 {
            ModelProgress { ready: false, message: "no log lines yet".into() }
        } else {
            ModelProgress {
                ready: true,
                message: format!(
                    "{} templates mined from {lines} lines (template mining needs no warm-up)",
                    templates.len()
                ),
            }
        };
        (KindEntries::Templates { templates: templates.len() as i64, groups, top }, model)
    }
}
