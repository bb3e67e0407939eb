//! A JSON-lines reader over a real socket (Python's classic
//! `async def load_json_lines(reader)`), closed early with async cleanup.
//!
//! ```sh
//! cargo run --example json_lines --features tokio
//! ```
//!
//! A tokio TCP server on 127.0.0.1 sends JSON lines. A generator reads the
//! socket and yields parsed values; the consumer stops after two. Closing the
//! generator (here with `aclosing`) runs its async cleanup, which sends a
//! goodbye line that the server logs.

use std::error::Error;
use std::pin::pin;

use agen::{aclosing, async_generator, raise_, yield_catch_};
use futures::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn Error + Send + Sync>;

/// Python's `async def load_json_lines(reader): async for line in reader:
/// yield json.loads(line)`, plus a goodbye when closed early.
#[async_generator(yield = Value)]
async fn load_json_lines(stream: TcpStream) -> Result<(), BoxError> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let value: Value = serde_json::from_str(&line)?;
        if let Err(thrown) = yield_catch_!(value) {
            // aclose (or athrow): tell the server before going away.
            write
                .write_all(b"{\"bye\": \"client stopped early\"}\n")
                .await?;
            write.shutdown().await?;
            raise_!(thrown);
        }
    }
    Ok(())
}

async fn server(listener: TcpListener) -> Result<String, BoxError> {
    let (socket, _) = listener.accept().await?;
    let (read, mut write) = socket.into_split();
    for i in 0..100 {
        let line = format!("{{\"id\": {i}, \"square\": {}}}\n", i * i);
        if write.write_all(line.as_bytes()).await.is_err() {
            break;
        }
    }
    drop(write);
    let mut from_client = BufReader::new(read).lines();
    let said = from_client.next_line().await?.unwrap_or_default();
    println!("server: the client said {said}");
    Ok(said)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(server(listener));

    let socket = TcpStream::connect(address).await?;
    let lines = pin!(load_json_lines(socket));
    let (taken, closed) =
        aclosing(lines, async |lines| lines.take(2).collect::<Vec<_>>().await).await;
    for value in &taken {
        println!("client: got {}", value.as_ref().map_err(|e| e.to_string())?);
    }
    println!("client: stopped early; aclose -> {closed:?}");

    let said = server.await??;
    assert!(said.contains("bye"), "the server logs the goodbye");
    Ok(())
}
