package scenario

import (
	"fmt"
	"time"
)

// Upper limits of the values a scenario file may hold. Each is far above
// what a real scenario needs, and low enough that nothing derived from a
// value can overflow or allocate without bound: the parser refuses a larger
// value with an error naming the limit, and the model relies on these
// limits where it says so (sums of times, wire sizes, the int32 of an
// UNSUB's max). docs/scenario-format.md lists them.
const (
	// MaxFileSize is the largest scenario or sweep file read, in bytes:
	// room for 100,000 clients with a subscription and a publish each
	// (12 MiB). It bounds the parser's memory too: the YAML tree of the
	// worst 16 MiB file (nothing but "1,1,1,...", 8 million nodes) peaks
	// at 1.7 GB and takes 6 s; the 100k-client file parses in 3 s,
	// allocating 0.85 GB in all (BenchmarkParseManyClients).
	MaxFileSize = 16 << 20

	// MaxDuration is the longest duration of any field: at, timeouts,
	// waits, intervals, max_time and the parameters of a distribution
	// (about 41 days). With the clock never past max_time, a time plus a
	// duration stays below 2·MaxDuration, far below the 292 years of an
	// int64 of nanoseconds; sim.Time.Add saturates all the same.
	MaxDuration = 1000 * time.Hour

	// MaxCount is the largest count: the calls of a publish, request or
	// next_msg action, an auto-unsubscribe max, nth, max_reconnect and
	// the magnitude of a pending_msgs_limit. It is below 2^31, the range
	// of the max of an UNSUB on the wire, and a sum of counts of every
	// action of a file stays far below 2^63.
	MaxCount = 1_000_000_000

	// MaxItems is the longest list of clients, subscriptions, actions or
	// handler actions.
	MaxItems = 1_000_000

	// MaxBytes is the largest size in bytes: a message, a pending bytes
	// limit, a reconnect buffer, max_pending, and a bandwidth per second
	// (1 TiB).
	MaxBytes = 1 << 40

	// MaxEventBudget is the largest max_events (10^10 events, hours of
	// CPU time).
	MaxEventBudget = 10_000_000_000

	// MaxRecordBudget is the largest max_records (10^9 records: about a
	// terabyte of memory at 1 KB a record, far beyond any machine).
	MaxRecordBudget = 1_000_000_000
)

// durationRange describes the durations a field takes, for messages.
var durationRange = fmt.Sprintf("allowed: 0 to %dh", MaxDuration/time.Hour)
