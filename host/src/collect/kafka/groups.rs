//! Consumer groups: listing (`ListGroups` + `DescribeGroups`), members and their assignments,
//! and committed offsets read with an `OffsetFetch` — never by joining the group.

use std::sync::Arc;

use futures::StreamExt;
use rdkafka::Offset;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tracing::Instrument;

use super::client::{Ctx, Layout, Probe};
use super::{Settings, blocking};
use crate::contract::estate::KafkaGroupMember;

/// A group as listed, with its committed offsets `(topic, partition, offset)`.
pub(super) struct Group {
    pub id: String,
    pub state: String,
    pub members: Vec<KafkaGroupMember>,
    pub committed: Vec<(String, i32, i64)>,
}

/// What was read about the groups.
pub(super) struct Groups {
    pub groups: Vec<Group>,
    pub problems: Vec<String>,
}

/// Lists the groups, then fetches the committed offsets of at most `parallelism` groups at a
/// time.
pub(super) async fn read(settings: &Arc<Settings>, probe: Arc<Probe>, layout: Arc<Layout>) -> Groups {
    let timeout = settings.timeout;
    let listed = blocking(move || {
        probe.consumer.fetch_group_list(None, timeout).map(|list| {
            list.groups()
                .iter()
                .map(|g| (g, matches!(g.protocol_type(), "consumer" | "")))
                .map(|(g, consumer_protocol)| Group {
                    id: g.name().to_string(),
                    state: g.state().to_string(),
                    members: g
                        .members()
                        .iter()
                        .map(|m| KafkaGroupMember {
                            client_id: client_id(m.client_id(), m.id()),
                            host: m.client_host().trim_start_matches('/').to_string(),
                            assignments: m
                                .assignment()
                                .filter(|_| consumer_protocol)
                                .and_then(decode_assignment)
                                .unwrap_or_default(),
                        })
                        .collect(),
                    committed: Vec::new(),
                })
                .collect::<Vec<Group>>()
        })
    })
    .await;
    let mut groups = match listed {
        Ok(Ok(groups)) => groups,
        Ok(Err(err)) => {
            let problem = settings.scrub(&format!("consumer groups (ListGroups/DescribeGroups): {err}"));
            return Groups { groups: Vec::new(), problems: vec![problem] };
        }
        Err(join) => return Groups { groups: Vec::new(), problems: vec![format!("consumer groups: {join}")] },
    };
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    tracing::debug!(groups = groups.len(), "consumer groups listed");

    let mut problems = Vec::new();
    if layout.topics.is_empty() {
        return Groups { groups, problems };
    }
    let fetches = futures::stream::iter(groups.iter().map(|g| g.id.clone()).enumerate())
        .map(|(index, id)| {
            let (settings, layout) = (settings.clone(), layout.clone());
            let span = tracing::debug_span!("group", id = %id);
            async move { (index, blocking(move || committed(&settings, &id, &layout)).await) }.instrument(span)
        })
        .buffer_unordered(settings.parallelism)
        .collect::<Vec<_>>()
        .await;
    for (index, result) in fetches {
        let group = &mut groups[index];
        match result {
            Ok(Ok(committed)) => group.committed = committed,
            Ok(Err(err)) => problems.push(settings.scrub(&format!("committed offsets of group `{}`: {err}", group.id))),
            Err(join) => problems.push(format!("committed offsets of group `{}`: {join}", group.id)),
        }
    }
    Groups { groups, problems }
}

/// The offsets `group` committed on the partitions of `layout`, read with an `OffsetFetch` from a
/// consumer whose `group.id` is `group`. The consumer is created with auto-commit and offset
/// store off and is never subscribed, assigned or told to commit, so it does not join the group
/// and has nothing to fetch; dropping it closes it (rdkafka serves its event queue until closed)
/// without a `LeaveGroup`, since it never joined.
fn committed(settings: &Settings, group: &str, layout: &Layout) -> Result<Vec<(String, i32, i64)>, String> {
    let consumer: BaseConsumer<Ctx> = settings
        .consumer_config(Some(group))
        .create_with_context(Ctx::new(settings))
        .map_err(|e| format!("consumer not created: {e}"))?;
    let answered = consumer.committed_offsets(layout.partition_list(), settings.timeout).map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    let mut failed = 0;
    for element in answered.elements() {
        if element.error().is_err() {
            failed += 1;
            continue;
        }
        if let Offset::Offset(offset) = element.offset() {
            found.push((element.topic().to_string(), element.partition(), offset));
        }
    }
    if failed > 0 && found.is_empty() {
        return Err(format!("the broker gave an error for all {failed} partitions asked"));
    }
    found.sort();
    Ok(found)
}

/// The member's client id; when the broker leaves it empty (tansu does), the one in its member id,
/// which brokers build as `<client.id>-<UUID>`.
fn client_id(given: &str, member_id: &str) -> String {
    if !given.is_empty() {
        return given.to_string();
    }
    let uuid = |s: &str| s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    match member_id.len().checked_sub(37).and_then(|at| member_id.split_at_checked(at)) {
        Some((client, rest)) if rest.starts_with('-') && uuid(&rest[1..]) => client.to_string(),
        _ => String::new(),
    }
}

/// Decodes a consumer-protocol `MemberAssignment` (int16 version, array of (string topic, array
/// of int32 partition), user data) into `topic:partition` strings. `None` for anything that does
/// not parse (another protocol's bytes, truncation).
pub(super) fn decode_assignment(bytes: &[u8]) -> Option<Vec<String>> {
    let mut reader = Reader(bytes);
    let version = reader.i16()?;
    if version < 0 {
        return None;
    }
    let topics = reader.count()?;
    let mut out = Vec::new();
    for _ in 0..topics {
        let length = usize::try_from(reader.i16()?).ok()?;
        let topic = std::str::from_utf8(reader.take(length)?).ok()?.to_string();
        let partitions = reader.count()?;
        for _ in 0..partitions {
            out.push(format!("{topic}:{}", reader.i32()?));
        }
    }
    Some(out)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// An array length: -1 (null) is empty; a count larger than the bytes left is garbage.
    fn count(&mut self) -> Option<usize> {
        let n = self.i32()?;
        if n < 0 {
            return Some(0);
        }
        let n = usize::try_from(n).ok()?;
        (n <= self.0.len()).then_some(n)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn assignment(version: i16, topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut out = version.to_be_bytes().to_vec();
        out.extend((topics.len() as i32).to_be_bytes());
        for (topic, partitions) in topics {
            out.extend((topic.len() as i16).to_be_bytes());
            out.extend(topic.as_bytes());
            out.extend((partitions.len() as i32).to_be_bytes());
            for p in *partitions {
                out.extend(p.to_be_bytes());
            }
        }
        out.extend((-1i32).to_be_bytes()); // null user data
        out
    }

    #[test]
    fn client_id_from_member_id() {
        assert_eq!(client_id("app", "x"), "app");
        assert_eq!(client_id("", "billing-7-2496d70a-ef70-4b01-9d3f-55ce9a584eee"), "billing-7");
        assert_eq!(client_id("", "2496d70a-ef70-4b01-9d3f-55ce9a584eee"), "");
        assert_eq!(client_id("", "short"), "");
    }

    #[test]
    fn decodes_member_assignment() {
        let bytes = assignment(1, &[("orders", &[0, 2]), ("payments.DLT", &[1])]);
        assert_eq!(decode_assignment(&bytes).unwrap(), ["orders:0", "orders:2", "payments.DLT:1"]);
        assert_eq!(decode_assignment(&assignment(0, &[])).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn tolerates_garbage() {
        let bytes = assignment(3, &[("orders", &[0, 1, 2])]);
        for cut in 0..bytes.len() - 4 {
            assert!(decode_assignment(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        assert!(decode_assignment(&[0, 0, 0x7f, 0xff, 0xff, 0xff]).is_none());
        assert!(decode_assignment(&[0xff, 0xff, 0, 0, 0, 1]).is_none());
        assert!(decode_assignment(b"\x00\x00\x00\x00\x00\x01\x00\x02\xff\xfe\x00\x00\x00\x00").is_none());
    }
}
