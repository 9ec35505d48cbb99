use clinchpad_webhook::Receiver;
use warp::{http::StatusCode, hyper::body::Bytes, reply::with_status, Filter, Reply};

async fn hook(
    receiver: Receiver,
    query: String,
    body: Bytes,
) -> Result<impl Reply, warp::Rejection> {
    Ok(match receiver.accept(Some(&query), &body) {
        Ok(delivery) => {
            let shown = format!("{:?}: {:?}", delivery.type_name(), delivery.error());
            println!("{}", delivery.redact(&shown)); // your work here
            with_status(String::new(), StatusCode::NO_CONTENT)
        }
        Err(refused) => with_status(
            refused.to_string(),
            StatusCode::from_u16(refused.status()).unwrap(),
        ),
    })
}

#[tokio::main]
async fn main() -> Result<(), clinchpad_webhook::Error> {
    let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?; // fails closed
    let route = warp::post()
        .and(warp::path!("hooks" / "clinchpad"))
        .and(warp::any().map(move || receiver.clone()))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::body::content_length_limit(
            Receiver::DEFAULT_BODY_LIMIT as u64,
        ))
        .and(warp::body::bytes())
        .and_then(hook);
    warp::serve(route).run(([127, 0, 0, 1], 3000)).await;
    Ok(())
}
