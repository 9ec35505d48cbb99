//! Deploy with `cargo lambda build --release` (or any build for the `provided.al2023`
//! runtime) and set `CLINCHPAD_HANDSHAKE_KEY` in the function's environment.

use clinchpad_webhook::Receiver;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // Fails closed: no key configured is a failed start, never a receiver without a key.
    let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?;
    lambda_http::run(clinchpad_webhook_lambda::receiver_service(receiver)).await
}
