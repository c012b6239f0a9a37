//! A scripted JSON-RPC server over real HTTP on loopback, able to answer badly on purpose.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::HeaderMap;
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{net::TcpListener, task::JoinSet};

/// How the server answers one JSON-RPC request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A JSON-RPC result.
    Result(Value),
    /// A JSON-RPC error.
    Error(i64, String),
    /// A raw HTTP answer: status, content type, body.
    Raw(u16, &'static str, Bytes),
    /// A raw HTTP 200 answer sent in chunks, without a content length.
    Chunked(Vec<Bytes>),
    /// The same answer, after a delay.
    Delayed(Duration, Box<Reply>),
    /// HTTP 307 to this URL (a redirect that keeps the method and body).
    Redirect(String),
}

/// Answers a request, given its method and params.
pub type Handler = Arc<dyn Fn(&str, &Value) -> Reply + Send + Sync>;

/// A loopback HTTP server that can be stopped (connections refused) and started again on the
/// same port.
pub struct RpcServer {
    addr: SocketAddr,
    handler: Handler,
    headers: Arc<Mutex<HeaderMap>>,
    connections: Arc<Mutex<Connections>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Connections open now and the most ever open at once.
#[derive(Debug, Default, Clone, Copy)]
struct Connections {
    open: usize,
    max_open: usize,
}

/// Counts a connection open until dropped (also when its task is aborted).
struct Open(Arc<Mutex<Connections>>);

impl Open {
    fn new(connections: Arc<Mutex<Connections>>) -> Self {
        {
            let mut c = connections.lock().unwrap();
            c.open += 1;
            c.max_open = c.max_open.max(c.open);
        }
        Self(connections)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.lock().unwrap().open -= 1;
    }
}

impl RpcServer {
    /// Starts on a free loopback port.
    pub async fn start(handler: Handler) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let headers = Arc::new(Mutex::new(HeaderMap::new()));
        let connections = Arc::new(Mutex::new(Connections::default()));
        let task = Some(tokio::spawn(serve(
            listener,
            handler.clone(),
            headers.clone(),
            connections.clone(),
        )));
        Self { addr, handler, headers, connections, task }
    }

    /// The most connections that were ever open at once (a client that never has more than
    /// one request in flight, and drops the connection of one it gave up on, keeps this at 1).
    pub fn max_open_connections(&self) -> usize {
        self.connections.lock().unwrap().max_open
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> url::Url {
        format!("http://{}", self.addr).parse().expect("valid url")
    }

    /// Stops listening and drops every open connection.
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await.expect("rebind loopback port");
        self.task = Some(tokio::spawn(serve(
            listener,
            self.handler.clone(),
            self.headers.clone(),
            self.connections.clone(),
        )));
    }

    /// The headers of the last request received.
    pub fn last_headers(&self) -> HeaderMap {
        self.headers.lock().unwrap().clone()
    }
}

impl Drop for RpcServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn serve(
    listener: TcpListener,
    handler: Handler,
    headers: Arc<Mutex<HeaderMap>>,
    counted: Arc<Mutex<Connections>>,
) {
    // Dropping the set (when this task is aborted) aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let handler = handler.clone();
        let headers = headers.clone();
        let open = Open::new(counted.clone());
        connections.spawn(async move {
            let _open = open;
            let service = service_fn(move |req: Request<Incoming>| {
                *headers.lock().unwrap() = req.headers().clone();
                answer(req, handler.clone())
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

type Body = BoxBody<Bytes, Infallible>;

async fn answer(req: Request<Incoming>, handler: Handler) -> Result<Response<Body>, Infallible> {
    let body = match req.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(raw(400, "text/plain", Bytes::from_static(b"bad body"))),
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return Ok(raw(400, "text/plain", Bytes::from_static(b"not json")));
    };
    // A batch: each call answered with its result or error, the answers in reverse order (a
    // server may send them in any order).
    if let Value::Array(calls) = request {
        let mut answers = Vec::new();
        for call in calls.iter().rev() {
            let (id, reply) = call_reply(call, &handler).await;
            answers.push(rpc_answer(id, reply).unwrap_or_else(|other| {
                panic!("a batch call can only be answered with a result or an error, not {other:?}")
            }));
        }
        return Ok(json_response(Value::Array(answers)));
    }
    let (id, reply) = call_reply(&request, &handler).await;
    match rpc_answer(id, reply) {
        Ok(answer) => Ok(json_response(answer)),
        Err(reply) => match reply {
            Reply::Raw(status, content_type, body) => Ok(raw(status, content_type, body)),
            Reply::Redirect(location) => Ok(Response::builder()
                .status(307)
                .header("location", location)
                .body(Full::new(Bytes::new()).boxed())
                .expect("valid response")),
            Reply::Chunked(chunks) => {
                let frames = futures::stream::iter(
                    chunks.into_iter().map(|c| Ok::<_, Infallible>(Frame::data(c))),
                );
                Ok(Response::builder()
                    .header("content-type", "application/json")
                    .body(BodyExt::boxed(StreamBody::new(frames)))
                    .expect("valid response"))
            }
            Reply::Result(_) | Reply::Error(..) | Reply::Delayed(..) => {
                unreachable!("answered above")
            }
        },
    }
}

/// The id of one JSON-RPC call and the handler's reply to it, after any delay.
async fn call_reply(call: &Value, handler: &Handler) -> (Value, Reply) {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call.get("method").and_then(Value::as_str).unwrap_or_default();
    let params = call.get("params").cloned().unwrap_or(Value::Null);
    let mut reply = handler(method, &params);
    while let Reply::Delayed(delay, inner) = reply {
        tokio::time::sleep(delay).await;
        reply = *inner;
    }
    (id, reply)
}

/// The JSON-RPC answer of a result or error reply; any other reply back as it is.
fn rpc_answer(id: Value, reply: Reply) -> Result<Value, Reply> {
    match reply {
        Reply::Result(result) => Ok(json!({"jsonrpc": "2.0", "id": id, "result": result})),
        Reply::Error(code, message) => {
            Ok(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}))
        }
        other => Err(other),
    }
}

fn json_response(v: Value) -> Response<Body> {
    raw(200, "application/json", Bytes::from(v.to_string()))
}

fn raw(status: u16, content_type: &'static str, body: Bytes) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body).boxed())
        .expect("valid response")
}
