//! The Prometheus text format as tests read it: the samples of a scrape, looked up by name
//! and labels.

use std::collections::BTreeMap;

/// One sample of the Prometheus text: the metric's name, its labels and its value.
#[derive(Debug)]
pub struct Sample {
    /// The metric (with `_bucket`, `_sum` or `_count` for a histogram's).
    pub name: String,
    /// The labels.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// The samples of a scrape, parsed from the text format.
#[derive(Debug)]
pub struct Scrape(pub Vec<Sample>);

impl Scrape {
    /// Parses the text format.
    pub fn parse(text: &str) -> Scrape {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').unwrap();
                let (name, labels) = match series.split_once('{') {
                    Some((name, rest)) => (name, rest.strip_suffix('}').unwrap()),
                    None => (series, ""),
                };
                let labels = labels
                    .split("\",")
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (key, value) = pair.split_once("=\"").unwrap();
                        (key.to_owned(), value.trim_end_matches('"').to_owned())
                    })
                    .collect();
                Sample {
                    name: name.to_owned(),
                    labels,
                    value: value.parse().unwrap(),
                }
            })
            .collect();
        Scrape(samples)
    }

    /// The value of `name` with exactly `labels`, 0 when there is none yet.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let found: Vec<&Sample> = self
            .0
            .iter()
            .filter(|s| s.name == name && s.labels == wanted)
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} twice: {found:?}");
        found.first().map_or(0.0, |s| s.value)
    }

    /// The buckets of histogram `name` with `labels` (and `le`), in the order rendered.
    pub fn buckets(&self, name: &str, labels: &[(&str, &str)]) -> Vec<(String, f64)> {
        let bucket = format!("{name}_bucket");
        self.0
            .iter()
            .filter(|s| s.name == bucket)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
            })
            .filter(|s| s.labels.len() == labels.len() + 1)
            .map(|s| (s.labels["le"].clone(), s.value))
            .collect()
    }
}

/// Asserts that the buckets of a series are cumulative: each at least the one below, up to
/// `+Inf`, which is the series' count.
#[track_caller]
pub fn assert_cumulative(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) {
    let buckets = scrape.buckets(name, labels);
    assert!(buckets.len() > 5, "{name} {labels:?}: {buckets:?}");
    let bounds: Vec<f64> = buckets
        .iter()
        .map(|(le, _)| {
            if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            }
        })
        .collect();
    assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{bounds:?}");
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    let (last, total) = buckets.last().unwrap();
    assert_eq!(last, "+Inf");
    assert_eq!(*total, scrape.value(&format!("{name}_count"), labels));
}
