//! How much of a conversation's transcript is kept: a backend that answers with megabytes,
//! or a reply that jumps back to its own block, must not make a conversation grow without
//! end (the page keeps dozens of them).
//!
//! Each entry is measured once, as the JSON the page would be sent. A turn that alone passes
//! [`TURN_LIMIT`] is stopped, as a go-to loop is; before each turn the oldest entries are
//! forgotten until the transcript holds at most [`KEPT_LIMIT`] minus [`TURN_LIMIT`], so a
//! conversation never holds much more than [`KEPT_LIMIT`].

use std::io;

use super::transcript::Entry;

/// The most one user action may add to the transcript (a 16 MiB answer, the largest read,
/// fits with its messages).
pub(crate) const TURN_LIMIT: usize = 40 * 1024 * 1024;

/// The most a conversation keeps, in entries measured as JSON.
pub(crate) const KEPT_LIMIT: usize = 64 * 1024 * 1024;

/// The sizes of the entries kept, and how many were forgotten before them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Keeping {
    /// The size of each kept entry measured so far, in transcript order.
    sizes: Vec<usize>,
    /// The sum of `sizes`.
    kept: usize,
    /// How many entries were forgotten from the front.
    forgotten: usize,
}

impl Keeping {
    /// Measures the entries added since the last call.
    pub(crate) fn measure(&mut self, transcript: &[Entry]) {
        for entry in &transcript[self.sizes.len()..] {
            let size = json_size(entry);
            self.sizes.push(size);
            self.kept += size;
        }
    }

    /// The bytes kept, as measured.
    pub(crate) fn kept(&self) -> usize {
        self.kept
    }

    /// The bytes of the entries from `start` (a position in the kept transcript) on.
    pub(crate) fn since(&self, start: usize) -> usize {
        self.sizes
            .get(start..)
            .map_or(0, |sizes| sizes.iter().sum())
    }

    /// How many entries were forgotten from the front.
    pub(crate) fn forgotten(&self) -> usize {
        self.forgotten
    }

    /// Forgets the oldest entries until what is kept leaves room for a whole turn. Returns
    /// how many entries it forgot now.
    pub(crate) fn make_room(&mut self, transcript: &mut Vec<Entry>) -> usize {
        self.measure(transcript);
        let target = KEPT_LIMIT - TURN_LIMIT;
        let mut count = 0;
        let mut freed = 0;
        while self.kept - freed > target && count < self.sizes.len() {
            freed += self.sizes[count];
            count += 1;
        }
        if count > 0 {
            transcript.drain(..count);
            self.sizes.drain(..count);
            self.kept -= freed;
            self.forgotten += count;
        }
        count
    }
}

/// The length of `entry` as JSON, without writing it anywhere.
fn json_size(entry: &Entry) -> usize {
    struct Counter(usize);
    impl io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // An entry holds JSON values and strings only: serialising it cannot fail.
    let _ = serde_json::to_writer(&mut counter, entry);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(size: usize) -> Entry {
        Entry::Note {
            text: "x".repeat(size),
        }
    }

    #[test]
    fn measures_each_entry_once_as_json() {
        let mut keeping = Keeping::default();
        let mut transcript = vec![note(10)];
        keeping.measure(&transcript);
        let one = keeping.kept();
        assert_eq!(one, serde_json::to_vec(&transcript[0]).unwrap().len());
        transcript.push(note(10));
        keeping.measure(&transcript);
        keeping.measure(&transcript);
        assert_eq!(keeping.kept(), 2 * one);
        assert_eq!(keeping.since(1), one);
    }

    #[test]
    fn forgets_the_oldest_until_a_turn_fits() {
        let mut keeping = Keeping::default();
        let mut transcript: Vec<Entry> = (0..5).map(|_| note(10 * 1024 * 1024)).collect();
        transcript.push(Entry::User {
            text: "newest".to_owned(),
            clicked: false,
        });
        let forgotten = keeping.make_room(&mut transcript);
        assert_eq!(forgotten, 3, "50 MiB kept, 24 MiB of room");
        assert_eq!(keeping.forgotten(), 3);
        assert!(keeping.kept() <= KEPT_LIMIT - TURN_LIMIT);
        assert!(matches!(transcript.last(), Some(Entry::User { text, .. }) if text == "newest"));
        assert_eq!(
            keeping.make_room(&mut transcript),
            0,
            "nothing more to forget"
        );
    }
}
