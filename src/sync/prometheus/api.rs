//! The Prometheus HTTP API calls opsdeck makes (instant query, range query, series), the
//! response envelope, and the split of failures into "this SLO" and "the whole source".
//!
//! Only endpoints every Prometheus-compatible server offers are used (`/api/v1/query`,
//! `/api/v1/query_range`, `/api/v1/series`), so Thanos, Mimir and VictoriaMetrics work too.
//! Requests whose URL would be long are sent as `POST` forms.

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::query::prom_time;
use crate::sanitize;
use crate::sync::http::{ApiError, ApiRequest, HttpClient};

/// URLs longer than this are sent as a `POST` form instead (proxies cap URLs at 4–8 KiB).
pub const MAX_GET_URL_BYTES: usize = 2_048;

/// Why a call failed, and how far the failure reaches.
#[derive(Debug)]
pub enum QueryError {
    /// The query of one SLO failed (`bad_data`, `execution`, `timeout`, missing bucket, …):
    /// mark that SLO and carry on with the others.
    Slo(String),
    /// The source failed (unreachable, 401, 404 on the API, 5xx, …): every SLO is affected.
    Source(ApiError),
}

/// A successful answer plus the server's `warnings`.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The decoded result.
    pub value: T,
    /// `warnings` of the envelope (partial data), sanitized.
    pub warnings: Vec<String>,
}

/// The response envelope: `{status, data, errorType, error, warnings, infos}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Envelope {
    status: String,
    data: Value,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    warnings: Option<Vec<String>>,
}

/// One client session: counts the requests of a pull.
pub struct Session<'a> {
    client: &'a HttpClient,
    /// HTTP requests sent (retries of one request count once).
    pub requests: usize,
}

impl<'a> Session<'a> {
    /// A session over the source's client.
    pub fn new(client: &'a HttpClient) -> Self {
        Self {
            client,
            requests: 0,
        }
    }

    /// `/api/v1/query` at `time`: the sum of the vector's samples, `None` for an empty result.
    ///
    /// `NaN` samples (0/0) count as "no value"; a scalar result is accepted too.
    pub async fn instant(
        &mut self,
        query: &str,
        time: DateTime<Utc>,
    ) -> Result<Answer<Option<f64>>, QueryError> {
        let params = [("query", query.to_owned()), ("time", prom_time(time))];
        let answer = self.call("api/v1/query", &params).await?;
        let value = instant_value(&answer.value).map_err(QueryError::Slo)?;
        Ok(Answer {
            value,
            warnings: answer.warnings,
        })
    }

    /// `/api/v1/query_range`: the points `(unix seconds, value)` of all series, summed per time.
    pub async fn range(
        &mut self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step_secs: u64,
    ) -> Result<Answer<Vec<(i64, f64)>>, QueryError> {
        let params = [
            ("query", query.to_owned()),
            ("start", prom_time(start)),
            ("end", prom_time(end)),
            ("step", step_secs.to_string()),
        ];
        let answer = self.call("api/v1/query_range", &params).await?;
        let points = range_points(&answer.value).map_err(QueryError::Slo)?;
        Ok(Answer {
            value: points,
            warnings: answer.warnings,
        })
    }

    /// `/api/v1/series`: the values of `label` over the series matching `selector`.
    pub async fn label_values(
        &mut self,
        selector: &str,
        label: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Answer<Vec<String>>, QueryError> {
        let params = [
            ("match[]", selector.to_owned()),
            ("start", prom_time(start)),
            ("end", prom_time(end)),
        ];
        let answer = self.call("api/v1/series", &params).await?;
        let values = answer
            .value
            .as_array()
            .map(|series| {
                series
                    .iter()
                    .filter_map(|s| s.get(label)?.as_str())
                    .map(sanitize::line)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Answer {
            value: values,
            warnings: answer.warnings,
        })
    }

    /// Sends one API call (GET, or a POST form when long) and unwraps the envelope.
    async fn call(
        &mut self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Answer<Value>, QueryError> {
        let mut url = self.client.url(path).map_err(QueryError::Source)?;
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        let req = if url.as_str().len() <= MAX_GET_URL_BYTES {
            ApiRequest::get(url)
        } else {
            let body = url.query().unwrap_or_default().as_bytes().to_vec();
            url.set_query(None);
            let mut req = ApiRequest::new(Method::POST, url).header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            req.body = Some(body);
            req
        };
        self.requests += 1;
        let response = self.client.send_with_retry(req).await.map_err(classify)?;
        let envelope: Envelope = response.json().map_err(QueryError::Source)?;
        let warnings = envelope
            .warnings
            .unwrap_or_default()
            .iter()
            .map(|w| sanitize::line(w))
            .filter(|w| !w.is_empty())
            .collect();
        if envelope.status != "success" {
            let kind = envelope.error_type.unwrap_or_else(|| "error".to_owned());
            let message = envelope.error.unwrap_or_else(|| "no message".to_owned());
            return Err(QueryError::Slo(sanitize::line(&format!(
                "{kind}: {message}"
            ))));
        }
        Ok(Answer {
            value: envelope.data,
            warnings,
        })
    }
}

/// Splits an HTTP failure into "this query" (400 `bad_data`, 422 `execution`, 503
/// `timeout`) and "the source" (everything else).
fn classify(err: ApiError) -> QueryError {
    match err {
        ApiError::Permanent {
            status: 400,
            message,
        } => QueryError::Slo(format!(
            "bad_data (400): {message}; check the SLO's selectors"
        )),
        ApiError::Permanent {
            status: 422,
            message,
        } => QueryError::Slo(format!("execution (422): {message}")),
        ApiError::Server { status: 503 } => QueryError::Slo(
            "timeout (503): Prometheus gave up on the query (too much data or an overloaded \
             server); it is tried again at the next sync"
                .to_owned(),
        ),
        other => QueryError::Source(other),
    }
}

/// Parses a sample value as Prometheus prints it (`"12"`, `"1e+03"`, `"NaN"`, `"+Inf"`).
pub fn parse_sample(text: &str) -> Option<f64> {
    match text.trim().to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "+inf" | "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

fn sample_of(pair: &Value) -> Result<f64, String> {
    pair.get(1)
        .and_then(Value::as_str)
        .and_then(parse_sample)
        .ok_or_else(|| {
            format!(
                "unexpected sample {}; expected [time, \"value\"]",
                sanitize::line(&pair.to_string())
            )
        })
}

/// The value of an instant query: vector samples summed (NaN skipped), or a scalar.
fn instant_value(data: &Value) -> Result<Option<f64>, String> {
    let result = data.get("result").unwrap_or(&Value::Null);
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => {
            let mut sum: Option<f64> = None;
            for sample in result.as_array().map(Vec::as_slice).unwrap_or_default() {
                let value = match sample.get("value") {
                    Some(pair) => sample_of(pair)?,
                    None => return Err("a sample has no value (native histogram?); use a classic counter or histogram".to_owned()),
                };
                if !value.is_nan() {
                    sum = Some(sum.unwrap_or(0.0) + value);
                }
            }
            Ok(sum)
        }
        Some("scalar") => sample_of(result).map(|v| (!v.is_nan()).then_some(v)),
        other => Err(format!(
            "the query returned {} instead of a vector; the selector must be a plain series selector",
            sanitize::line(other.unwrap_or("nothing"))
        )),
    }
}

/// The points of a range query, summed over series per timestamp (NaN skipped).
fn range_points(data: &Value) -> Result<Vec<(i64, f64)>, String> {
    if data.get("resultType").and_then(Value::as_str) != Some("matrix") {
        return Err("the range query did not return a matrix".to_owned());
    }
    let mut points: Vec<(i64, f64)> = Vec::new();
    let series = data.get("result").and_then(Value::as_array);
    for s in series.map(Vec::as_slice).unwrap_or_default() {
        for pair in s
            .get("values")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let t = pair
                .get(0)
                .and_then(Value::as_f64)
                .ok_or_else(|| "a range point has no timestamp".to_owned())?;
            let value = sample_of(pair)?;
            if value.is_nan() {
                continue;
            }
            let t = t.round() as i64;
            match points.iter_mut().find(|(pt, _)| *pt == t) {
                Some((_, acc)) => *acc += value,
                None => points.push((t, value)),
            }
        }
    }
    points.sort_by_key(|(t, _)| *t);
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_vector_is_no_value_and_nan_is_skipped() {
        let empty = json!({"resultType": "vector", "result": []});
        assert_eq!(instant_value(&empty), Ok(None));
        let nan = json!({"resultType": "vector", "result": [{"metric": {}, "value": [1, "NaN"]}]});
        assert_eq!(instant_value(&nan), Ok(None));
        let two = json!({"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [1, "2"]}, {"metric": {"a": "2"}, "value": [1, "1e+03"]}]});
        assert_eq!(instant_value(&two), Ok(Some(1002.0)));
    }

    #[test]
    fn a_matrix_from_an_instant_query_is_refused_with_a_hint() {
        let m = json!({"resultType": "matrix", "result": []});
        assert!(instant_value(&m)
            .unwrap_err()
            .contains("plain series selector"));
    }

    #[test]
    fn range_points_are_summed_per_timestamp() {
        let m = json!({"resultType": "matrix", "result": [
            {"metric": {"a": "1"}, "values": [[10, "1"], [20, "2"]]},
            {"metric": {"a": "2"}, "values": [[20, "3"], [30, "NaN"]]}]});
        assert_eq!(range_points(&m), Ok(vec![(10, 1.0), (20, 5.0)]));
    }
}
