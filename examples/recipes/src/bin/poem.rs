use clinchpad_webhook::Receiver;
use poem::http::{StatusCode, Uri};
use poem::{handler, listener::TcpListener, post, web::Data, Body, EndpointExt, Route, Server};

#[handler]
async fn hook(receiver: Data<&Receiver>, uri: &Uri, body: Body) -> (StatusCode, String) {
    let Ok(body) = body.into_bytes_limit(receiver.body_limit()).await else {
        let too_large = receiver.too_large().to_string();
        return (StatusCode::PAYLOAD_TOO_LARGE, too_large);
    };
    match receiver.accept(uri.query(), &body) {
        Ok(delivery) => {
            let shown = format!("{:?}: {:?}", delivery.type_name(), delivery.error());
            println!("{}", delivery.redact(&shown)); // your work here
            (StatusCode::NO_CONTENT, String::new())
        }
        Err(refused) => (
            StatusCode::from_u16(refused.status()).unwrap(),
            refused.to_string(),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?; // fails closed
    let app = Route::new()
        .at("/hooks/clinchpad", post(hook))
        .data(receiver);
    Server::new(TcpListener::bind("127.0.0.1:3000"))
        .run(app)
        .await?;
    Ok(())
}
