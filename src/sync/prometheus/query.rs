//! PromQL for SLOs: validating the configured selectors, building the per-window count
//! queries, and matching a histogram's `le` buckets numerically.
//!
//! Owns the translation of one `[[slos]]` entry into a [`SloPlan`] (validated once, when the
//! source is built) and of a plan into the exact queries sent to Prometheus ([`Queries`]).
//! Everything here is pure; no I/O.

use std::fmt::Write as _;

use crate::config::SloConfig;
use crate::domain::SloKind;
use crate::metrics::slo::{Objective, Window};

/// One label matcher of a selector, kept as written so it renders back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Matcher {
    label: String,
    op: &'static str,
    /// The string literal including its quotes.
    literal: String,
}

/// A validated instant-vector selector: `name{label op "value", …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    name: Option<String>,
    matchers: Vec<Matcher>,
}

impl Selector {
    /// Parses a plain selector such as `http_requests_total{code=~"5.."}`.
    ///
    /// Functions, ranges (`[5m]`), offsets and operators are refused: opsdeck wraps the
    /// selector in `sum(increase(…[W]))` itself.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser {
            s: text.trim().as_bytes(),
            i: 0,
        };
        let name = p.ident(true);
        let mut matchers = Vec::new();
        p.skip_ws();
        if p.peek() == Some(b'{') {
            p.i += 1;
            loop {
                p.skip_ws();
                if p.eat(b'}') {
                    break;
                }
                let label = p
                    .ident(false)
                    .ok_or_else(|| p.fail("a label name inside { }"))?;
                p.skip_ws();
                let op = p.op().ok_or_else(|| p.fail("=, !=, =~ or !~"))?;
                p.skip_ws();
                let literal = p.string().ok_or_else(|| p.fail("a quoted string"))?;
                matchers.push(Matcher { label, op, literal });
                p.skip_ws();
                if p.eat(b',') {
                    continue;
                }
                if !p.eat(b'}') {
                    return Err(p.fail("',' or '}'"));
                }
                break;
            }
        }
        p.skip_ws();
        if p.i < p.s.len() {
            return Err(format!(
                "{:?} is not a plain selector (found {:?} at byte {}); write only \
                 metric_name{{label=\"value\"}}, opsdeck adds sum(increase(…[window])) itself",
                text.trim(),
                char::from(p.s[p.i]),
                p.i
            ));
        }
        if name.is_none() && matchers.is_empty() {
            return Err(format!(
                "{:?} is empty; give a metric name such as http_requests_total{{service=\"x\"}}",
                text.trim()
            ));
        }
        Ok(Self { name, matchers })
    }

    /// Renders the selector back to PromQL.
    pub fn render(&self) -> String {
        let mut out = self.name.clone().unwrap_or_default();
        if !self.matchers.is_empty() || self.name.is_none() {
            out.push('{');
            for (i, m) in self.matchers.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}{}{}", m.label, m.op, m.literal);
            }
            out.push('}');
        }
        out
    }

    fn has_label(&self, label: &str) -> bool {
        self.matchers.iter().any(|m| m.label == label)
    }

    /// A copy with another metric name and one extra matcher (already rendered).
    fn renamed_with(&self, name: &str, extra: Option<&str>) -> String {
        let mut out = Selector {
            name: Some(name.to_owned()),
            matchers: self.matchers.clone(),
        }
        .render();
        if let Some(extra) = extra {
            if self.matchers.is_empty() {
                let _ = write!(out, "{{{extra}}}");
            } else {
                out.pop();
                let _ = write!(out, ",{extra}}}");
            }
        }
        out
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn fail(&self, wanted: &str) -> String {
        let text = String::from_utf8_lossy(self.s);
        format!("selector {text:?}: expected {wanted} at byte {}", self.i)
    }

    /// A metric name (colons allowed) or a label name.
    fn ident(&mut self, metric: bool) -> Option<String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            let ok = b.is_ascii_alphabetic()
                || b == b'_'
                || (metric && b == b':')
                || (self.i > start && b.is_ascii_digit());
            if !ok {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn op(&mut self) -> Option<&'static str> {
        for op in ["=~", "!~", "!=", "="] {
            if self.s[self.i..].starts_with(op.as_bytes()) {
                self.i += op.len();
                return Some(op);
            }
        }
        None
    }

    /// A PromQL string literal (`"…"` or `'…'` with escapes, or a backtick raw string).
    fn string(&mut self) -> Option<String> {
        let quote = self.peek().filter(|q| matches!(q, b'"' | b'\'' | b'`'))?;
        let start = self.i;
        self.i += 1;
        while let Some(b) = self.peek() {
            self.i += 1;
            if b == b'\\' && quote != b'`' {
                self.i += 1;
            } else if b == quote {
                return Some(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
            }
        }
        None
    }
}

/// How the events of a ratio SLI are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatioEvents {
    /// Bad events; missing series count as 0.
    Bad(Selector),
    /// Good events; bad = total − good (missing good series count as 0).
    Good(Selector),
}

/// The SLI of one plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Sli {
    /// Good or bad events over total events.
    Ratio {
        /// The events counted.
        events: RatioEvents,
        /// All valid events.
        total: Selector,
    },
    /// Requests at or under a histogram bucket over all requests.
    Latency {
        /// The histogram's `_bucket` selector, without any `le` matcher.
        histogram: Selector,
        /// Metric name without the `_bucket` suffix.
        base_name: String,
        /// The configured threshold as written (`"0.5"`).
        threshold_text: String,
        /// The threshold as a number, for numeric `le` matching.
        threshold: f64,
    },
}

/// One validated SLO of this source.
#[derive(Debug, Clone, PartialEq)]
pub struct SloPlan {
    /// Unique SLO name.
    pub name: String,
    /// Service shown in the SLO tab.
    pub service: String,
    /// The exact objective.
    pub objective: Objective,
    /// The SLO window (28 d or 30 d).
    pub window: Window,
    /// What is counted.
    pub sli: Sli,
}

impl SloPlan {
    /// Validates one `[[slos]]` entry; the error says what to fix.
    pub fn from_config(cfg: &SloConfig) -> Result<Self, String> {
        let name = cfg.name.trim();
        let fail = |msg: String| format!("SLO '{name}': {msg}");
        let objective =
            Objective::from_percent_str(&cfg.objective).map_err(|e| fail(e.to_string()))?;
        let days = cfg.window.0.as_secs() / 86_400;
        let window = match (cfg.window.0.as_secs() % 86_400, days) {
            (0, 28) => Window::Days28,
            (0, 30) => Window::Days30,
            _ => {
                return Err(fail(format!(
                    "window {} is not supported; use \"28d\" or \"30d\"",
                    cfg.window
                )))
            }
        };
        let field = |label: &str, value: &Option<String>| -> Result<Option<Selector>, String> {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| Selector::parse(v).map_err(|e| fail(format!("{label}: {e}"))))
                .transpose()
        };
        let kind: SloKind = cfg.kind.parse().map_err(|_| {
            fail(format!(
                "kind '{}' is unknown; use \"ratio\" or \"latency\"",
                cfg.kind
            ))
        })?;
        let sli = match kind {
            SloKind::Ratio => {
                let total = field("total", &cfg.total)?
                    .ok_or_else(|| fail("a ratio SLO needs `total` (all valid events)".into()))?;
                let events = match (field("bad", &cfg.bad)?, field("good", &cfg.good)?) {
                    (Some(bad), None) => RatioEvents::Bad(bad),
                    (None, Some(good)) => RatioEvents::Good(good),
                    (Some(_), Some(_)) => {
                        return Err(fail("give either `bad` or `good`, not both".into()))
                    }
                    (None, None) => {
                        return Err(fail("a ratio SLO needs `bad` (or `good`) events".into()))
                    }
                };
                Sli::Ratio { events, total }
            }
            SloKind::Latency => {
                let histogram = field("histogram", &cfg.histogram)?.ok_or_else(|| {
                    fail("a latency SLO needs `histogram` (the _bucket metric selector)".into())
                })?;
                let metric = histogram.name.clone().ok_or_else(|| {
                    fail(
                        "`histogram` must start with the metric name, e.g. x_bucket{job=\"y\"}"
                            .into(),
                    )
                })?;
                if histogram.has_label("le") {
                    return Err(fail(
                        "`histogram` must not match on le; put the threshold in `threshold_le`"
                            .into(),
                    ));
                }
                let base_name = metric.strip_suffix("_bucket").unwrap_or(&metric).to_owned();
                let threshold_text = cfg
                    .threshold_le
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or_default();
                let threshold = parse_le(threshold_text).ok_or_else(|| {
                    fail(format!(
                        "threshold_le {threshold_text:?} is not a number; give a bucket boundary such as \"0.5\""
                    ))
                })?;
                Sli::Latency {
                    histogram,
                    base_name,
                    threshold_text: threshold_text.to_owned(),
                    threshold,
                }
            }
        };
        Ok(Self {
            name: name.to_owned(),
            service: cfg.service.trim().to_owned(),
            objective,
            window,
            sli,
        })
    }

    /// The kind stored with the definition.
    pub fn kind(&self) -> SloKind {
        match self.sli {
            Sli::Ratio { .. } => SloKind::Ratio,
            Sli::Latency { .. } => SloKind::Latency,
        }
    }

    /// The configured latency threshold, latency SLIs only.
    pub fn threshold_text(&self) -> Option<&str> {
        match &self.sli {
            Sli::Latency { threshold_text, .. } => Some(threshold_text),
            Sli::Ratio { .. } => None,
        }
    }

    /// The `_bucket` selector whose `le` values are looked up and the threshold to find,
    /// latency SLIs only.
    pub fn bucket_lookup(&self) -> Option<(String, f64)> {
        match &self.sli {
            Sli::Latency {
                histogram,
                base_name,
                threshold,
                ..
            } => Some((
                histogram.renamed_with(&format!("{base_name}_bucket"), None),
                *threshold,
            )),
            Sli::Ratio { .. } => None,
        }
    }

    /// The windows queried: every alert-policy window plus the SLO window, shortest first.
    pub fn windows(&self, policy: &crate::metrics::slo::AlertPolicy) -> Vec<Window> {
        let mut out: Vec<Window> = policy
            .rows
            .iter()
            .flat_map(|r| [r.long_window, r.short_window])
            .chain([self.window])
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The queries of this plan; for latency SLIs `le_values` are the bucket labels that
    /// equal the threshold (as found on the server); empty means "use the configured text".
    pub fn queries(&self, le_values: &[String]) -> Queries {
        match &self.sli {
            Sli::Ratio { events, total } => match events {
                RatioEvents::Bad(bad) => Queries {
                    events: bad.render(),
                    events_are_good: false,
                    events_required: false,
                    total: total.render(),
                },
                RatioEvents::Good(good) => Queries {
                    events: good.render(),
                    events_are_good: true,
                    events_required: false,
                    total: total.render(),
                },
            },
            Sli::Latency {
                histogram,
                base_name,
                threshold_text,
                ..
            } => {
                let le = if le_values.is_empty() {
                    le_matcher(std::slice::from_ref(threshold_text))
                } else {
                    le_matcher(le_values)
                };
                Queries {
                    events: histogram.renamed_with(&format!("{base_name}_bucket"), Some(&le)),
                    events_are_good: true,
                    events_required: true,
                    total: histogram.renamed_with(&format!("{base_name}_count"), None),
                }
            }
        }
    }
}

/// The two count queries of one SLO, parameterised by the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queries {
    /// Selector of the counted events (bad, or good).
    pub events: String,
    /// True when `events` are good events: bad = total − good.
    pub events_are_good: bool,
    /// True when a missing events series is an error rather than 0 (the `le` bucket).
    pub events_required: bool,
    /// Selector of all valid events.
    pub total: String,
}

impl Queries {
    /// `sum(increase(events[range]))`, with `or vector(0)` unless the series must exist.
    pub fn events_query(&self, range: &str) -> String {
        let base = format!("sum(increase({}[{range}]))", self.events);
        if self.events_required {
            base
        } else {
            format!("{base} or vector(0)")
        }
    }

    /// `sum(increase(total[range]))`.
    pub fn total_query(&self, range: &str) -> String {
        format!("sum(increase({}[{range}]))", self.total)
    }
}

/// Parses an `le` label or threshold as a number (`"0.5"`, `"0.50"`, `"5e-1"`, `"+Inf"`).
pub fn parse_le(text: &str) -> Option<f64> {
    let t = text.trim();
    let value = match t.to_ascii_lowercase().as_str() {
        "+inf" | "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ if t
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            return None
        }
        _ => t.parse::<f64>().ok()?,
    };
    (!value.is_nan()).then_some(value)
}

/// True when a bucket's `le` label equals the threshold numerically (`"0.5"` == `"0.50"`).
pub fn le_matches(label: &str, threshold: f64) -> bool {
    parse_le(label) == Some(threshold)
}

/// `le="x"` for one spelling, `le=~"x|y"` (regex-escaped) when the server has several.
pub fn le_matcher(values: &[String]) -> String {
    match values {
        [one] => format!("le=\"{}\"", escape_promql(one)),
        many => {
            let alternatives: Vec<String> = many.iter().map(|v| escape_regex(v)).collect();
            format!("le=~\"{}\"", escape_promql(&alternatives.join("|")))
        }
    }
}

fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_promql(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The distinct `le` labels among `labels` that equal `threshold`, in server order.
pub fn matching_le_values<'a>(
    labels: impl IntoIterator<Item = &'a str>,
    threshold: f64,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for label in labels {
        if le_matches(label, threshold) && !out.iter().any(|v| v == label) {
            out.push(label.to_owned());
        }
    }
    out
}

/// `time` parameter value: unix seconds, with milliseconds when not whole.
pub fn prom_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let millis = t.timestamp_subsec_millis();
    if millis == 0 {
        t.timestamp().to_string()
    } else {
        format!("{}.{millis:03}", t.timestamp())
    }
}
