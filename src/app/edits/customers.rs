//! Customer edits (NPS, notes, fields, churn risk) and the review's page notes.

use super::{choice, one, open, opt, text};
use crate::app::action::Action;
use crate::app::msg::{Edit, Effect};
use crate::app::rows::RowView;
use crate::app::state::{Overlay, PromptThen, State};
use crate::domain::{ChurnRisk, NoteKind, Tab};
use crate::store::Operation;

/// Customer fields `e` can edit.
pub const CUSTOMER_FIELDS: &[&str] = &[
    "stage",
    "owner",
    "vertical",
    "acv_usd",
    "usage_days_per_week",
    "feature_adoption_pct",
    "engagement",
    "poc_start",
    "signed_on",
    "go_live",
    "name",
];

/// Opens the prompt (or commits) for a customer action.
pub(super) fn start(state: &mut State, action: Action) -> Vec<Effect> {
    let overlay = match (state.tab, action) {
        (Tab::Customers, Action::RecordNps) => state.customers.selected_row().map(|_| {
            choice(
                "NPS score (0–10)",
                (0..=10).map(|n| n.to_string()).collect(),
                8,
                PromptThen::NpsScore,
            )
        }),
        (Tab::Customers, Action::Note) => state.customers.selected_row().map(|_| {
            text(
                "feedback note (prefix with 'fr:' for a feature request)",
                PromptThen::CustomerNote,
            )
        }),
        (Tab::Customers, Action::Edit) => state.customers.selected_row().map(|_| {
            choice(
                "field",
                CUSTOMER_FIELDS.iter().map(|s| (*s).to_string()).collect(),
                0,
                PromptThen::CustomerField,
            )
        }),
        (Tab::Customers, Action::ChurnRisk) => {
            let edits: Vec<Edit> = state
                .customers
                .selected_row()
                .map(|c| {
                    let pos = ChurnRisk::ALL
                        .iter()
                        .position(|r| *r == c.churn_risk)
                        .unwrap_or(0);
                    let new = ChurnRisk::ALL[(pos + 1) % ChurnRisk::ALL.len()];
                    Edit {
                        entity: c.entity(),
                        op: Operation::SetChurnRisk {
                            old: c.churn_risk,
                            new,
                        },
                    }
                })
                .into_iter()
                .collect();
            return state.commit(edits, None);
        }
        _ => None,
    };
    open(state, overlay)
}

/// Turns this entity's prompt answers into edits (or the next prompt).
pub(super) fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    let customer = state.customers.selected_row().cloned();
    match then {
        PromptThen::NpsScore => {
            let Ok(score) = value.parse::<u8>() else {
                return Vec::new();
            };
            if score > 10 {
                return Vec::new();
            }
            state.commit(
                one(
                    customer.map(|c| c.entity()),
                    Operation::RecordNps {
                        score,
                        comment: String::new(),
                    },
                ),
                None,
            )
        }
        PromptThen::CustomerNote if !value.is_empty() => {
            let (kind, text) = match value.strip_prefix("fr:") {
                Some(rest) => (NoteKind::FeatureRequest, rest.trim().to_string()),
                None => (NoteKind::Feedback, value),
            };
            state.commit(
                one(
                    customer.map(|c| c.entity()),
                    Operation::AddCustomerNote { kind, text },
                ),
                None,
            )
        }
        PromptThen::CustomerField => {
            state.overlay = Some(text(
                &format!("new value for {value}"),
                PromptThen::CustomerValue(value),
            ));
            Vec::new()
        }
        PromptThen::CustomerValue(field) => {
            let Some(c) = customer else { return Vec::new() };
            if let Err(e) = validate_customer_value(&field, &value) {
                state.toast = Some(crate::app::state::Toast {
                    text: e,
                    error: true,
                    at: state.now,
                });
                return Vec::new();
            }
            let old = customer_field_value(&c, &field);
            state.commit(
                one(
                    Some(c.entity()),
                    Operation::SetCustomerField {
                        field,
                        old,
                        new: opt(&value),
                    },
                ),
                None,
            )
        }
        PromptThen::ReviewNote => {
            let page = state.review_page_for_note.take().unwrap_or(0);
            state.overlay = Some(Overlay::Review { page });
            let week = state
                .review
                .as_ref()
                .map(|r| r.week.clone())
                .unwrap_or_default();
            let area = crate::review::PAGES
                .get(page)
                .copied()
                .unwrap_or("notes")
                .to_string();
            if value.is_empty() {
                Vec::new()
            } else {
                vec![Effect::SaveReviewNote {
                    week,
                    area,
                    text: value,
                }]
            }
        }
        _ => Vec::new(),
    }
}

fn validate_customer_value(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let number = |lo: f64, hi: f64| -> Result<(), String> {
        match value.parse::<f64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(()),
            _ => Err(format!("{field} must be a number from {lo} to {hi}")),
        }
    };
    match field {
        "stage" => value
            .parse::<crate::domain::Stage>()
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "acv_usd" => value
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| "acv_usd must be whole dollars".to_string()),
        "usage_days_per_week" => number(0.0, 7.0),
        "feature_adoption_pct" | "engagement" => number(0.0, 100.0),
        "poc_start" | "signed_on" | "go_live" => {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|_| ())
                .map_err(|_| format!("{field} must be a date like 2026-11-22"))
        }
        _ => Ok(()),
    }
}

fn customer_field_value(c: &crate::domain::Customer, field: &str) -> Option<String> {
    match field {
        "stage" => Some(c.stage.to_string()),
        "owner" => Some(c.owner.clone()),
        "vertical" => Some(c.vertical.clone()),
        "name" => Some(c.name.clone()),
        "acv_usd" => Some(c.acv_usd.to_string()),
        "usage_days_per_week" => c.usage_days_per_week.map(|v| v.to_string()),
        "feature_adoption_pct" => c.feature_adoption_pct.map(|v| v.to_string()),
        "engagement" => c.engagement.map(|v| v.to_string()),
        "poc_start" => c.poc_start.map(|d| d.to_string()),
        "signed_on" => c.signed_on.map(|d| d.to_string()),
        "go_live" => c.go_live.map(|d| d.to_string()),
        _ => None,
    }
}
