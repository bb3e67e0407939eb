use agen::{async_generator, yield_};

struct Command(u8);

#[async_generator(yield = u8, send = Command)]
async fn controller() {
    let mut command = yield_!(0);
    loop {
        command = yield_!(command.0);
    }
}

fn main() {
    let _ = controller();
}
