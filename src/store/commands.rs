//! The commands beyond plain GET and SET that shared state needs: values that must not
//! expire, values written only when new, reads that renew a value's lifetime, counters over
//! a window, locks with a lease that only their holder releases, and a roll call of the
//! replicas alive.
//!
//! Each is one round trip (several commands go as one `MULTI` or one Lua script), so each
//! costs at most one timeout, and a reply never mixes two states of a key. They use only
//! what Redis 6 and every Valkey have.

use std::time::Duration;

use bytes::Bytes;

use super::{Query, Store, StoreError};

/// Deletes `KEYS[1]` if it holds `ARGV[1]`: a lock released only by its holder.
const DELETE_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Sets `KEYS[2]` to `ARGV[2]` (no expiry) if `KEYS[1]` holds `ARGV[1]`: a write fenced by
/// a lock (or by a mark) its writer holds.
const SET_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0";

/// [`SET_IF`], deleting `KEYS[1]` too: a writer's last write under its mark.
const SET_IF_AND_CLEAR: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0";

/// Checks `ARGV[1]` in at the hash `KEYS[1]` with the value `ARGV[2]` for `ARGV[3]` ms, drops
/// the members whose check-in ran out, and answers the values of those left. Each field
/// holds `<expiry ms> <value>`, the expiry on the store's own clock (`TIME`), so the replicas'
/// clocks need not agree. The hash itself expires with its last member.
const ROLL_CALL: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + ttl) .. ' ' .. ARGV[2])
local live = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local expiry, value = string.match(fields[i + 1], '^(%d+) (.*)$')
  if expiry and tonumber(expiry) > now then
    table.insert(live, value)
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return live";

/// Milliseconds of `ttl` for PX and PEXPIRE, at least one.
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A PTTL answer as the time left (`None` for a key without expiry or none at all).
fn left(pttl: i64) -> Option<Duration> {
    u64::try_from(pttl).ok().map(Duration::from_millis)
}

impl Store {
    /// Sets `key` to `value`, to expire after `ttl` (to the millisecond).
    pub async fn set_for(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.call(
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(millis(ttl)),
        )
        .await
    }

    /// Sets `key` to `value` with no expiry: state that must outlive every TTL (with
    /// `maxmemory-policy volatile-lru` the store never evicts it either).
    pub async fn set_forever(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.call(redis::cmd("SET").arg(key).arg(value)).await
    }

    /// Sets `key` to `value`, to expire after `ttl` (`None`: never), only if `key` does not
    /// exist; whether it was set. A lock with a lease is one of these.
    pub async fn set_new(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("NX");
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let answer: Option<String> = self.call(&cmd).await?;
        Ok(answer.is_some())
    }

    /// The value at `key`, its lifetime renewed to `ttl` (if it exists) in the same round
    /// trip.
    pub async fn get_and_renew(
        &self,
        key: &str,
        ttl: Duration,
    ) -> Result<Option<Bytes>, StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("GET")
            .arg(key)
            .cmd("PEXPIRE")
            .arg(key)
            .arg(millis(ttl))
            .ignore();
        let (value,): (Option<Bytes>,) = self.call_any(Query::Pipe(&pipe)).await?;
        Ok(value)
    }

    /// The value at `key` with the time left of its lifetime (`None` for none: no expiry),
    /// in one round trip: a replica taking another's short-lived answer keeps it only as long
    /// as it had left, not for a whole lifetime again.
    pub async fn get_with_ttl(
        &self,
        key: &str,
    ) -> Result<Option<(Bytes, Option<Duration>)>, StoreError> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
        let (value, pttl): (Option<Bytes>, i64) = self.call_any(Query::Pipe(&pipe)).await?;
        Ok(value.map(|value| (value, left(pttl))))
    }

    /// The values at `keys`, in their order.
    pub async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.call(redis::cmd("MGET").arg(keys)).await
    }

    /// Deletes `keys` (those that exist).
    pub async fn delete(&self, keys: &[&str]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.call(redis::cmd("DEL").arg(keys)).await
    }

    /// Deletes `key` if it holds `value` (releasing a lock only its holder may); whether it
    /// did.
    pub async fn delete_if(&self, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        let cmd = redis::cmd("EVAL")
            .arg(DELETE_IF)
            .arg(1)
            .arg(key)
            .arg(value)
            .to_owned();
        let deleted: i64 = self.call(&cmd).await?;
        Ok(deleted == 1)
    }

    /// Sets `key` to `value` (no expiry) if `guard` holds `expected`; whether it did.
    pub async fn set_if(
        &self,
        guard: &str,
        expected: &[u8],
        key: &str,
        value: &[u8],
    ) -> Result<bool, StoreError> {
        self.eval_set_if(SET_IF, guard, expected, key, value).await
    }

    /// [`Store::set_if`], deleting `guard` as well; whether it did.
    pub async fn set_if_and_clear(
        &self,
        guard: &str,
        expected: &[u8],
        key: &str,
        value: &[u8],
    ) -> Result<bool, StoreError> {
        self.eval_set_if(SET_IF_AND_CLEAR, guard, expected, key, value)
            .await
    }

    async fn eval_set_if(
        &self,
        script: &str,
        guard: &str,
        expected: &[u8],
        key: &str,
        value: &[u8],
    ) -> Result<bool, StoreError> {
        let cmd = redis::cmd("EVAL")
            .arg(script)
            .arg(2)
            .arg(guard)
            .arg(key)
            .arg(expected)
            .arg(value)
            .to_owned();
        let set: i64 = self.call(&cmd).await?;
        Ok(set == 1)
    }

    /// Sets `key` to `value` (no expiry) and deletes `cleared`, at once.
    pub async fn set_forever_and_delete(
        &self,
        key: &str,
        value: &[u8],
        cleared: &str,
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(key)
            .arg(value)
            .ignore()
            .cmd("DEL")
            .arg(cleared)
            .ignore();
        self.call_any(Query::Pipe(&pipe)).await
    }

    /// Counts one more at `key`, in a window that starts with its first count and lasts
    /// `window`: the count so far and the time left of the window.
    pub async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), StoreError> {
        let mut pipe = redis::pipe();
        // The window is set with the key, in the same transaction as the count: no crash
        // between the two can leave a count that never expires.
        pipe.atomic()
            .cmd("SET")
            .arg(key)
            .arg(0)
            .arg("NX")
            .arg("PX")
            .arg(millis(window))
            .ignore()
            .cmd("INCR")
            .arg(key)
            .cmd("PTTL")
            .arg(key);
        let (count, pttl): (u64, i64) = self.call_any(Query::Pipe(&pipe)).await?;
        Ok((count, left(pttl).unwrap_or(window)))
    }

    /// Checks `member` in at the roll call `key` with `value`, for `ttl`; the values of every
    /// member checked in now, this one's included (in no particular order). Members that
    /// stop checking in drop out after their `ttl`, so a replica that died is soon no longer
    /// counted.
    pub async fn roll_call(
        &self,
        key: &str,
        member: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<Vec<Bytes>, StoreError> {
        let cmd = redis::cmd("EVAL")
            .arg(ROLL_CALL)
            .arg(1)
            .arg(key)
            .arg(member)
            .arg(value)
            .arg(millis(ttl))
            .to_owned();
        self.call(&cmd).await
    }

    /// The counts at `keys` ([`Store::count`]) with the time left of their windows, in
    /// their order; `None` for a key that counts nothing now.
    pub async fn counts(&self, keys: &[&str]) -> Result<Vec<Option<(u64, Duration)>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("GET").arg(*key).cmd("PTTL").arg(*key);
        }
        // One flat answer: a count (or nil), then its PTTL, per key.
        let answers: Vec<Option<i64>> = self.call_any(Query::Pipe(&pipe)).await?;
        Ok(answers
            .chunks(2)
            .map(|pair| match pair {
                [Some(count), Some(pttl)] => Some((u64::try_from(*count).ok()?, left(*pttl)?)),
                _ => None,
            })
            .collect())
    }
}
