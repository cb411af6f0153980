//! Days of events → `app_logs/events/dt=…/part-0.json.gz`: JSON lines as the web servers log
//! them, with a few malformed lines (truncated writes, garbage) mixed in, gzip-compressed on
//! a pool of worker threads while the next day is being generated.

use super::dist::{Rng, mix};
use super::events::{DayGenerator, Event, Kind, TimeShape, event_id};
use super::world::{Client, World, day_number};
use super::{SampleError, io_error, partition_dir, tmp_path};
use chrono::NaiveDate;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

const WEB_AGENTS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
];
const IOS_AGENTS: [&str; 2] = [
    "SocialApp/5.12.0 (iPhone; iOS 17.2; Scale/3.00)",
    "SocialApp/5.11.3 (iPad; iOS 16.7; Scale/2.00)",
];
const ANDROID_AGENTS: [&str; 2] = [
    "SocialApp/5.12.1 (Android 14; Pixel 7)",
    "SocialApp/5.10.0 (Android 13; SM-S911B)",
];
const REFERRERS: [&str; 3] = [
    "https://social.example.com/feed",
    "https://mail.example.com/",
    "https://intranet.example.com/news",
];
const HASHTAGS: [&str; 8] = [
    "launch", "kudos", "team", "offsite", "results", "welcome", "safety", "hiring",
];
const VALUES: [&str; 4] = ["teamwork", "ownership", "customer-first", "innovation"];
/// Lines a JSON reader cannot parse, as load balancers and crashed writers leave them.
const GARBAGE: [&str; 5] = [
    "GET /healthz HTTP/1.1 200 2 \"-\" \"ELB-HealthChecker/2.0\"",
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "{\"event_id\":\"",
    "]}",
    "{\"event_id\": \"0\", \"ts\": , \"kind\": \"view\"}",
];

/// Generates and writes every day; returns (events, malformed lines, bytes written).
pub fn write_days(
    dir: &Path,
    world: &World,
    days: &[NaiveDate],
    seed: u64,
) -> Result<(u64, u64, u64), SampleError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let (sender, receiver) = sync_channel::<(NaiveDate, Vec<Event>)>(workers);
    let receiver = Mutex::new(receiver);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut totals = (0u64, 0u64, 0u64);
                    loop {
                        let job = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => break,
                        };
                        let Ok((date, events)) = job else { break };
                        let (n, bad, bytes) = write_day(dir, world, date, &events, seed)?;
                        totals = (totals.0 + n, totals.1 + bad, totals.2 + bytes);
                    }
                    Ok::<_, SampleError>(totals)
                })
            })
            .collect();
        let mut generator = DayGenerator::new(world, seed);
        for &date in days {
            let events = generator.day(day_number(date));
            if sender.send((date, events)).is_err() {
                break; // every worker stopped; their errors follow
            }
        }
        drop(sender);
        let mut totals = (0, 0, 0);
        for handle in handles {
            let (n, bad, bytes) = handle
                .join()
                .unwrap_or_else(|_| Err(SampleError::Invalid("an event writer crashed".into())))?;
            totals = (totals.0 + n, totals.1 + bad, totals.2 + bytes);
        }
        Ok(totals)
    })
}

/// Writes one day's file atomically; returns (events, malformed lines, bytes).
fn write_day(
    dir: &Path,
    world: &World,
    date: NaiveDate,
    events: &[Event],
    seed: u64,
) -> Result<(u64, u64, u64), SampleError> {
    let index = (day_number(date) - world.first_day).max(0) as u64;
    let mut rng = Rng::new(seed, 2_000_000 + index);
    let malformed = 1 + rng.below(4) as usize + events.len() / 200_000;
    let mut positions: Vec<usize> = (0..malformed)
        .map(|_| rng.index(events.len() + 1))
        .collect();
    positions.sort_unstable();

    let path = partition_dir(dir, date).join("part-0.json.gz");
    let tmp = tmp_path(&path);
    let result = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::fast());
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        let mut next = positions.iter().peekable();
        for i in 0..=events.len() {
            while next.next_if(|&&p| p == i).is_some() {
                malformed_line(&mut buf, &mut rng, world, events, date, seed)?;
                buf.push(b'\n');
            }
            if let Some(event) = events.get(i) {
                write_event(&mut buf, world, event, date, seed)?;
                buf.push(b'\n');
            }
            if buf.len() >= 1 << 19 {
                gz.write_all(&buf)?;
                buf.clear();
            }
        }
        gz.write_all(&buf)?;
        gz.finish()?.flush()?;
        Ok(())
    })();
    result.map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
    let bytes = std::fs::metadata(&path).map_err(io_error(&path))?.len();
    Ok((events.len() as u64, malformed as u64, bytes))
}

/// A line no JSON reader accepts: a real event cut short, or garbage.
fn malformed_line(
    buf: &mut Vec<u8>,
    rng: &mut Rng,
    world: &World,
    events: &[Event],
    date: NaiveDate,
    seed: u64,
) -> std::io::Result<()> {
    if events.is_empty() || rng.chance(0.4) {
        buf.extend_from_slice(GARBAGE[rng.index(GARBAGE.len())].as_bytes());
        return Ok(());
    }
    let start = buf.len();
    write_event(buf, world, &events[rng.index(events.len())], date, seed)?;
    // An object without its closing brace is never valid JSON.
    let length = buf.len() - start;
    let keep = 8 + rng.index(length.saturating_sub(10).max(1));
    buf.truncate(start + keep.min(length - 1));
    Ok(())
}

/// An event's time (milliseconds into the UTC day `date`) in its session's shape; local
/// shapes are in the company's time, `offset` hours ahead of UTC.
fn write_time(
    buf: &mut Vec<u8>,
    date: NaiveDate,
    ms: u32,
    shape: TimeShape,
    offset: i32,
) -> std::io::Result<()> {
    const DAY: i64 = 86_400_000;
    let local = matches!(shape, TimeShape::LocalMillis | TimeShape::LocalSeconds);
    let mut at = i64::from(ms);
    if local {
        at += i64::from(offset) * 3_600_000;
    }
    let date = match at.div_euclid(DAY) {
        0 => date,
        days => date + chrono::Duration::days(days),
    };
    let at = at.rem_euclid(DAY);
    let (h, m, s, milli) = (at / 3_600_000, at / 60_000 % 60, at / 1000 % 60, at % 1000);
    let sep = if shape == TimeShape::SpaceMillis {
        ' '
    } else {
        'T'
    };
    write!(buf, "{date}{sep}{h:02}:{m:02}:{s:02}")?;
    let sign = if offset < 0 { '-' } else { '+' };
    let hours = offset.unsigned_abs();
    match shape {
        TimeShape::UtcMillis => write!(buf, ".{milli:03}Z"),
        TimeShape::LocalMillis => write!(buf, ".{milli:03}{sign}{hours:02}:00"),
        TimeShape::LocalSeconds => write!(buf, "{sign}{hours:02}00"),
        TimeShape::SpaceMillis => write!(buf, ".{milli:03}"),
        TimeShape::PlainSeconds => Ok(()),
    }
}

/// One event as a JSON object on one line, fields in the order the servers log them.
pub fn write_event(
    buf: &mut Vec<u8>,
    world: &World,
    e: &Event,
    date: NaiveDate,
    seed: u64,
) -> std::io::Result<()> {
    let member = &world.members[e.member as usize];
    let company = &world.companies[member.company as usize];
    write!(
        buf,
        "{{\"event_id\":\"{:016x}\",\"ts\":\"",
        event_id(e.key, seed)
    )?;
    write_time(buf, date, e.ms, e.time_shape, company.utc_offset)?;
    write!(
        buf,
        "\",\"member_id\":{},\"company_id\":{},\"kind\":\"{}\",\"target_post_id\":",
        member.id,
        company.id,
        e.kind.as_str(),
    )?;
    match e.target_post {
        Some(post) => write!(buf, "\"{:016x}\"", event_id(post, seed))?,
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"target_member_id\":");
    match e.target_member {
        Some(target) => write!(buf, "{}", world.members[target as usize].id)?,
        None => buf.extend_from_slice(b"null"),
    }
    let hash = mix(e.key ^ 0xc0ffee);
    let pick = (mix(member.id as u64) % 6) as usize;
    let agent = match e.client {
        Client::Web => WEB_AGENTS[pick % WEB_AGENTS.len()],
        Client::Ios => IOS_AGENTS[pick % IOS_AGENTS.len()],
        Client::Android => ANDROID_AGENTS[pick % ANDROID_AGENTS.len()],
    };
    write!(
        buf,
        ",\"client\":\"{}\",\"context\":{{\"session_id\":\"{:016x}\",\"ip\":\"",
        e.client.as_str(),
        e.session
    )?;
    match e.client {
        // Browsers sit behind the company's office address; phones on carrier networks.
        Client::Web => write!(
            buf,
            "203.{}.{}.{}",
            (company.id >> 8) & 255,
            company.id & 255,
            member.host
        )?,
        _ => {
            let net = mix(e.session);
            write!(
                buf,
                "{}.{}.{}.{}",
                100 + net % 100,
                (net >> 8) & 255,
                (net >> 16) & 255,
                1 + (net >> 24) % 254
            )?
        }
    }
    write!(buf, "\",\"user_agent\":\"{agent}\",\"referrer\":")?;
    if e.client == Client::Web && hash % 4 != 3 {
        write!(
            buf,
            "\"{}\"",
            REFERRERS[(hash % 4) as usize % REFERRERS.len()]
        )?;
    } else {
        buf.extend_from_slice(b"null");
    }
    buf.extend_from_slice(b",\"tags\":[");
    let tags = hash >> 8;
    match e.kind {
        Kind::Post => {
            for k in 0..tags % 4 {
                if k > 0 {
                    buf.push(b',');
                }
                let tag = HASHTAGS[((tags >> 4) + 3 * k) as usize % HASHTAGS.len()];
                write!(buf, "\"{tag}\"")?;
            }
        }
        Kind::Thanks => write!(buf, "\"thanks\",\"{}\"", VALUES[(tags % 4) as usize])?,
        Kind::View if tags.is_multiple_of(10) => buf.extend_from_slice(b"\"notification\""),
        _ => {}
    }
    buf.extend_from_slice(b"]}}");
    Ok(())
}
