use clinchpad_webhook::Receiver;
use rocket::data::{Data, ToByteUnit};
use rocket::http::{uri::Origin, Status};
use rocket::{post, routes, State};

#[post("/hooks/clinchpad", data = "<body>")]
async fn hook(receiver: &State<Receiver>, uri: &Origin<'_>, body: Data<'_>) -> (Status, String) {
    let body = match body.open(receiver.body_limit().bytes()).into_bytes().await {
        Ok(body) if body.is_complete() => body.into_inner(),
        _ => return (Status::PayloadTooLarge, receiver.too_large().to_string()),
    };
    match receiver.accept(uri.query().map(|query| query.as_str()), &body) {
        Ok(delivery) => {
            let shown = format!("{:?}: {:?}", delivery.type_name(), delivery.error());
            println!("{}", delivery.redact(&shown)); // your work here
            (Status::NoContent, String::new())
        }
        Err(refused) => (Status::new(refused.status()), refused.to_string()),
    }
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?; // fails closed
    rocket::build()
        .manage(receiver)
        .mount("/", routes![hook])
        .launch()
        .await?;
    Ok(())
}
