//! The client against the local double of ClinchPad's API: the key sent as Basic auth and
//! shown nowhere, the budget never exceeded, 429 and 5xx asked again, 404 as `None`.

use std::time::Duration;

use clinchpad_webhook::{ActivityType, Payload};
use clinchpad_webhook_api::testing::ApiDouble;
use clinchpad_webhook_api::{ActivitiesQuery, ApiError, ApiKey, Client};

const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn client(double: &ApiDouble, budget: u32) -> Client {
    Client::builder()
        .base_url(double.url())
        .budget_per_hour(budget)
        .pauses(Duration::from_millis(5), Duration::from_millis(20))
        .build(ApiKey::new(KEY).unwrap())
        .unwrap()
}

#[tokio::test]
async fn the_key_goes_as_basic_auth_and_is_shown_nowhere() {
    let double = ApiDouble::start(KEY).await;
    double.add(&Payload::sample(ActivityType::LeadMoved));
    let client = client(&double, 10);
    assert!(!format!("{client:?}").contains(KEY));
    let listed = client
        .activities(&ActivitiesQuery::first_page())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(double.refused(), 0);
    let lead = client
        .lead(listed[0].lead_id().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.json()["stage"]["name"], "Offer");
}

#[tokio::test]
async fn the_budget_is_never_exceeded_and_says_when_a_call_is_free() {
    let double = ApiDouble::start(KEY).await;
    let client = client(&double, 3);
    for _ in 0..3 {
        client
            .activities(&ActivitiesQuery::first_page())
            .await
            .unwrap();
    }
    let err = client
        .activities(&ActivitiesQuery::first_page())
        .await
        .unwrap_err();
    match err {
        ApiError::BudgetSpent {
            per_hour: 3,
            free_in_secs,
        } => assert!((3500..=3600).contains(&free_in_secs), "{free_in_secs}"),
        other => panic!("{other}"),
    }
    assert_eq!(double.calls(), 3);
    assert_eq!(client.calls(), 3);
}

#[tokio::test]
async fn a_429_and_5xx_are_asked_again_until_the_attempts_run_out() {
    let double = ApiDouble::start(KEY).await;
    let client = client(&double, 100);
    double.fail_next(429, 2);
    double.fail_next(503, 1);
    client
        .activities(&ActivitiesQuery::first_page())
        .await
        .unwrap();
    assert_eq!(double.calls(), 4);

    double.fail_next(500, 5);
    let err = client
        .activities(&ActivitiesQuery::first_page())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Server {
                status: 500,
                attempts: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("the double failed as asked"),
        "{err}"
    );
    double.fail_next(429, 5);
    let err = client
        .activities(&ActivitiesQuery::first_page())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { attempts: 5 }),
        "{err}"
    );
    assert_eq!(double.calls(), 14);
}

#[tokio::test]
async fn a_missing_lead_or_activity_is_none_and_a_refused_key_is_not_asked_again() {
    let double = ApiDouble::start(KEY).await;
    let client = client(&double, 100);
    assert_eq!(client.lead("52d8d8749a21f6518f000015").await.unwrap(), None);
    assert_eq!(
        client.activity("52d8d8749a21f6518f000015").await.unwrap(),
        None
    );

    let wrong = Client::builder()
        .base_url(double.url())
        .build(ApiKey::new("not-the-key-7c1d").unwrap())
        .unwrap();
    let err = wrong
        .activities(&ActivitiesQuery::first_page())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized), "{err}");
    assert!(!err.to_string().contains("not-the-key-7c1d"));
    assert_eq!(double.refused(), 1);
}
