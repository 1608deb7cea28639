//! TEMPORARY (replaced by the v3-media branch): a serial walk.

use std::future::Future;
use std::time::Duration;

use crate::een::{Error, Image};
use crate::timestamp::EenTimestamp;

pub(crate) enum Seek {
    Newest,
    Before(EenTimestamp),
    #[allow(dead_code)]
    AtOrBefore(EenTimestamp),
    Prev(String),
}

pub(crate) struct Frame {
    pub(crate) image: Image,
    pub(crate) prev: Option<String>,
}

pub(crate) struct Walked {
    pub(crate) frames: Vec<Image>,
    pub(crate) cadence: Option<Duration>,
}

pub(crate) async fn walk<F, Fut>(
    start: Seek,
    count: usize,
    _hint: Option<Duration>,
    fetch: F,
) -> Result<Walked, Error>
where
    F: Fn(Seek) -> Fut,
    Fut: Future<Output = Result<Option<Frame>, Error>>,
{
    let mut frames = Vec::new();
    let mut next = Some(start);
    while frames.len() < count {
        let Some(seek) = next.take() else { break };
        let Some(frame) = fetch(seek).await? else {
            break;
        };
        next = frame.prev.map(Seek::Prev);
        frames.push(frame.image);
    }
    Ok(Walked {
        frames,
        cadence: None,
    })
}
