//! Customer CSV: export → import round-trips, and a bad row is refused with its line number
//! before anything is written.

use chrono::{TimeZone, Utc};
use opsdeck::review::customers_csv::{export, import, parse, CsvError};
use opsdeck::store::Store;
use rstest::rstest;

const HEADER: &str = "slug,name,stage,vertical,acv_usd,owner,poc_start,signed_on,go_live,usage_days_per_week,feature_adoption_pct,engagement,churn_risk";

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

#[test]
fn the_demo_customers_round_trip_through_csv() {
    let mut demo = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut demo, now()).unwrap();
    let first = export(&demo, now()).unwrap();
    assert!(first.starts_with(HEADER));
    assert_eq!(
        first.lines().count(),
        1 + demo.load_customers(now()).unwrap().len()
    );

    let mut fresh = Store::open_in_memory().unwrap();
    let report = import(&mut fresh, &first).unwrap();
    assert_eq!(report.rows, demo.load_customers(now()).unwrap().len());
    assert_eq!(export(&fresh, now()).unwrap(), first);
}

#[test]
fn quoted_fields_with_commas_quotes_and_newlines_survive() {
    let csv = format!(
        "{HEADER}\nsmith-co,\"Smith, Sons & \"\"Co\"\"\",live,\"reinsurance,\nlife\",250000,ana,2026-01-05,,,4.5,60,70,medium\n"
    );
    let mut s = Store::open_in_memory().unwrap();
    import(&mut s, &csv).unwrap();
    let c = &s.load_customers(now()).unwrap()[0];
    assert_eq!(c.name, "Smith, Sons & \"Co\"");
    assert_eq!(c.acv_usd, 250_000);
    assert_eq!(c.usage_days_per_week, Some(4.5));
    let out = export(&s, now()).unwrap();
    let mut again = Store::open_in_memory().unwrap();
    import(&mut again, &out).unwrap();
    assert_eq!(export(&again, now()).unwrap(), out);
}

#[test]
fn importing_again_updates_by_slug_instead_of_duplicating() {
    let mut s = Store::open_in_memory().unwrap();
    import(
        &mut s,
        &format!("{HEADER}\nacme,Acme,poc,ins,1,mo,,,,,,,low\n"),
    )
    .unwrap();
    import(
        &mut s,
        &format!("{HEADER}\nacme,Acme Mutual,live,ins,2,mo,,,,,,,high\n"),
    )
    .unwrap();
    let all = s.load_customers(now()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Acme Mutual");
    assert_eq!(all[0].churn_risk.as_str(), "high");
}

#[test]
fn columns_may_come_in_any_order() {
    let csv = "churn_risk,slug,name,stage,vertical,acv_usd,owner,poc_start,signed_on,go_live,usage_days_per_week,feature_adoption_pct,engagement\nlow,acme,Acme,live,ins,5,mo,,,,,,\n";
    assert_eq!(parse(csv).unwrap()[0].slug, "acme");
}

#[rstest]
#[case::bad_stage("acme,Acme,pilot,ins,1,mo,,,,,,,low", 3, "stage")]
#[case::bad_date("acme,Acme,live,ins,1,mo,16/11/2026,,,,,,low", 3, "poc_start")]
#[case::usage_above_seven_days("acme,Acme,live,ins,1,mo,,,,9,,,low", 3, "usage_days_per_week")]
#[case::negative_acv("acme,Acme,live,ins,-5,mo,,,,,,,low", 3, "acv_usd")]
#[case::bad_slug("Acme Co,Acme,live,ins,1,mo,,,,,,,low", 3, "slug")]
#[case::missing_name("acme,,live,ins,1,mo,,,,,,,low", 3, "name")]
#[case::bad_churn_risk("acme,Acme,live,ins,1,mo,,,,,,,severe", 3, "churn risk")]
#[case::too_few_fields("acme,Acme,live", 3, "fields")]
#[case::duplicate_slug("good,Again,live,ins,1,mo,,,,,,,low", 3, "line 2")]
fn a_bad_row_is_refused_naming_its_line(
    #[case] row: &str,
    #[case] line: usize,
    #[case] words: &str,
) {
    let csv = format!("{HEADER}\ngood,Good Co,live,ins,1,mo,,,,,,,low\n{row}\n");
    let mut s = Store::open_in_memory().unwrap();
    let err = import(&mut s, &csv).unwrap_err();
    assert!(
        matches!(err, CsvError::Line { line: l, .. } if l == line),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("line {line}: ")), "{msg}");
    assert!(msg.contains(words), "{msg}");
    assert!(
        s.load_customers(now()).unwrap().is_empty(),
        "a bad file writes nothing"
    );
}

#[test]
fn the_line_of_a_record_after_a_multiline_field_is_counted_from_the_file() {
    let csv = format!(
        "{HEADER}\ngood,\"Two\nLines\",live,ins,1,mo,,,,,,,low\nbad,B,live,ins,x,mo,,,,,,,low\n"
    );
    let err = parse(&csv).unwrap_err();
    assert!(err.to_string().starts_with("line 4: acv_usd"), "{err}");
}

#[test]
fn a_header_without_a_column_names_the_column() {
    let err = parse("slug,name\nacme,Acme\n").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("line 1: the header has no 'stage' column"),
        "{err}"
    );
}
