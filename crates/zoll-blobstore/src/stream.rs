//! Handing a request body from the async side to a blocking job (file IO and hashing run on a
//! blocking thread, overlapped with receiving), and small stream helpers.
//!
//! The job learns the body is complete only from an explicit end marker. A body that fails, or a
//! caller whose future is dropped mid-way (the client went away), closes the channel without it,
//! and the job sees [`Interrupted`] and rolls back. So a cancelled request never commits a
//! partial body, even though the blocking job runs on after its caller is gone.

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::{ByteStream, Error};

/// How many body chunks may wait for the blocking job.
const QUEUE_DEPTH: usize = 32;

enum Msg {
    Data(Bytes),
    End,
}

/// The body failed or its sender went away before the end: roll back.
#[derive(Debug)]
pub(crate) struct Interrupted;

/// The blocking side of [`pump`].
pub(crate) struct Inbox {
    rx: mpsc::Receiver<Msg>,
}

impl Inbox {
    /// The next chunk, `None` at the end of the body.
    pub(crate) fn next(&mut self) -> Result<Option<Bytes>, Interrupted> {
        match self.rx.blocking_recv() {
            Some(Msg::Data(b)) => Ok(Some(b)),
            Some(Msg::End) => Ok(None),
            None => Err(Interrupted),
        }
    }
}

/// How a blocking job fails.
#[derive(Debug)]
pub(crate) enum JobError {
    /// The body did not arrive whole; the job rolled back.
    Interrupted,
    Failed(Error),
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        JobError::Failed(e)
    }
}

impl From<Interrupted> for JobError {
    fn from(_: Interrupted) -> Self {
        JobError::Interrupted
    }
}

/// Run `job` on a blocking thread, feeding it `body` (or just the end marker when `None`).
pub(crate) async fn pump<T, F>(body: Option<ByteStream>, job: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(Inbox) -> Result<T, JobError> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
    let handle = tokio::task::spawn_blocking(move || job(Inbox { rx }));
    let mut body_error = None;
    if let Some(mut body) = body {
        while let Some(item) = body.next().await {
            match item {
                Ok(chunk) if chunk.is_empty() => {}
                Ok(chunk) => {
                    if tx.send(Msg::Data(chunk)).await.is_err() {
                        // The job ended early; its result says why.
                        break;
                    }
                }
                Err(e) => {
                    body_error = Some(e);
                    break;
                }
            }
        }
    }
    if body_error.is_none() {
        // Fails only if the job ended already, which its result explains.
        let _ = tx.send(Msg::End).await;
    }
    drop(tx);
    let result = handle.await.map_err(|e| {
        Error::io(
            "blob store worker thread failed",
            std::io::Error::other(e.to_string()),
        )
    })?;
    match (result, body_error) {
        (Ok(v), _) => Ok(v),
        (Err(JobError::Interrupted), Some(e)) => Err(Error::Body(e)),
        (Err(JobError::Interrupted), None) => Err(Error::Body(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "request body ended early",
        ))),
        (Err(JobError::Failed(e)), _) => Err(e),
    }
}

/// Run blocking filesystem work off the async threads.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, Error> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::io(
            "blob store worker thread failed",
            std::io::Error::other(e.to_string()),
        )
    })?
}

/// Peek at an optional body: `None` when absent or empty, else a stream yielding all of it.
pub(crate) async fn non_empty(body: Option<ByteStream>) -> Result<Option<ByteStream>, Error> {
    let Some(mut body) = body else {
        return Ok(None);
    };
    loop {
        match body.next().await {
            None => return Ok(None),
            Some(Err(e)) => return Err(Error::Body(e)),
            Some(Ok(chunk)) if chunk.is_empty() => {}
            Some(Ok(chunk)) => {
                return Ok(Some(
                    futures::stream::once(async move { Ok(chunk) })
                        .chain(body)
                        .boxed(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(items: Vec<Result<&'static [u8], &'static str>>) -> ByteStream {
        futures::stream::iter(items.into_iter().map(|i| {
            i.map(Bytes::from_static)
                .map_err(|m| std::io::Error::new(std::io::ErrorKind::ConnectionReset, m))
        }))
        .boxed()
    }

    fn collect(mut inbox: Inbox) -> Result<Vec<u8>, JobError> {
        let mut all = Vec::new();
        while let Some(b) = inbox.next()? {
            all.extend_from_slice(&b);
        }
        Ok(all)
    }

    #[tokio::test]
    async fn pump_delivers_the_whole_body() {
        let got = pump(Some(body(vec![Ok(b"ab"), Ok(b""), Ok(b"c")])), collect)
            .await
            .unwrap();
        assert_eq!(got, b"abc");
        let got = pump(None, collect).await.unwrap();
        assert!(got.is_empty());
    }

    #[tokio::test]
    async fn pump_reports_a_failed_body_as_interrupted() {
        let err = pump(Some(body(vec![Ok(b"ab"), Err("reset")])), collect)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Body(e) if e.to_string() == "reset"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn pump_returns_the_error_of_a_job_that_stops_early() {
        let err = pump(Some(body(vec![Ok(b"ab")])), |_inbox| {
            Err::<(), _>(JobError::Failed(Error::UnknownUpload("u".into())))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, Error::UnknownUpload(_)));
    }

    #[tokio::test]
    async fn non_empty_skips_empty_bodies() {
        assert!(non_empty(None).await.unwrap().is_none());
        assert!(
            non_empty(Some(body(vec![Ok(b""), Ok(b"")])))
                .await
                .unwrap()
                .is_none()
        );
        let s = non_empty(Some(body(vec![Ok(b""), Ok(b"x"), Ok(b"y")])))
            .await
            .unwrap()
            .unwrap();
        let all: Vec<_> = s.map(|r| r.unwrap()).collect().await;
        assert_eq!(all.concat(), b"xy");
        assert!(matches!(
            non_empty(Some(body(vec![Err("x")]))).await,
            Err(Error::Body(_))
        ));
    }
}
