//! A customer, with NPS responses and feedback notes.

use chrono::{DateTime, NaiveDate, Utc};

use super::persisted_enum;

persisted_enum!(
    /// Where a customer is in the funnel.
    Stage, "stage", {
        /// Talking to us.
        Prospect => "prospect",
        /// Running a proof of concept.
        Poc => "poc",
        /// Contract signed, not yet live.
        Signed => "signed",
        /// In production.
        Live => "live",
        /// Gone.
        Churned => "churned",
    }
);

persisted_enum!(
    /// How likely the customer is to leave, as judged by its owner.
    ChurnRisk, "churn risk", {
        /// No sign of trouble.
        Low => "low",
        /// Worth watching.
        Medium => "medium",
        /// Act now.
        High => "high",
    }
);

persisted_enum!(
    /// What a customer note records.
    NoteKind, "note kind", {
        /// Something the customer told us.
        Feedback => "feedback",
        /// Something the customer asked for.
        FeatureRequest => "feature_request",
    }
);

/// One NPS response (0–10).
#[derive(Debug, Clone, PartialEq)]
pub struct NpsResponse {
    /// 0–10 inclusive; the store refuses anything else.
    pub score: u8,
    /// When it was given.
    pub at: DateTime<Utc>,
    /// Free text, sanitized.
    pub comment: String,
}

/// A feedback note or feature request.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerNote {
    /// Feedback or feature request.
    pub kind: NoteKind,
    /// When it was noted.
    pub at: DateTime<Utc>,
    /// Who noted it.
    pub author: String,
    /// The note, sanitized.
    pub text: String,
}

/// One cached customer. Derived figures (health, tickets/week, open P0/P1) are computed by the
/// store query and the metrics module, not stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// Local row id.
    pub id: i64,
    /// Stable slug used in `customer:<slug>` labels.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Funnel stage.
    pub stage: Stage,
    /// Industry.
    pub vertical: String,
    /// Annual contract value in whole US dollars.
    pub acv_usd: i64,
    /// Account owner.
    pub owner: String,
    /// Proof of concept start.
    pub poc_start: Option<NaiveDate>,
    /// Contract signed.
    pub signed_on: Option<NaiveDate>,
    /// Went (or goes) live.
    pub go_live: Option<NaiveDate>,
    /// Active days per week, 0–7.
    pub usage_days_per_week: Option<f64>,
    /// Share of features in use, 0–100.
    pub feature_adoption_pct: Option<f64>,
    /// Engagement score 0–100 entered by the owner.
    pub engagement: Option<f64>,
    /// Churn risk.
    pub churn_risk: ChurnRisk,
    /// NPS responses, oldest first.
    pub nps: Vec<NpsResponse>,
    /// Support tickets per week over the last four weeks (bugs linked to this customer).
    pub tickets_per_week: f64,
    /// Open P0/P1 bugs linked to this customer.
    pub open_p0_p1_bugs: u32,
    /// Open incidents touching this customer.
    pub open_incidents: u32,
    /// An edit is waiting in the outbox.
    pub pending: bool,
}
