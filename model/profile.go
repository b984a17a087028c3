// Package model describes NATS as state machines driven by the sim kernel:
// the server, the network, client connections and subscriptions, and the
// drain algorithms of each client library (a Profile). A run of a scenario
// produces a Result: a message ledger, a trace and per-connection records,
// over which the invariants in package props are checked.
package model

import (
	"fmt"
	"sort"
	"time"
)

// Profile is one client library's drain semantics, as data. The algorithms
// in this package read these knobs instead of branching on library names, so
// a new library is a new Profile value plus, where behaviour really differs,
// a small strategy.
type Profile struct {
	Name        string
	Library     string // the library and version the profile models
	Description string

	// DrainTimeout is the default connection drain deadline.
	DrainTimeout time.Duration
	// ConnDrainPoll is the interval at which the connection drain checks
	// whether every subscription has been removed.
	ConnDrainPoll time.Duration
	// SubDrainPoll is the interval at which a subscription drain checks its
	// pending count after the flush barrier returned.
	SubDrainPoll time.Duration
	// SubDrainFlushTimeout bounds the subscription drain's PING/PONG barrier;
	// its error is ignored.
	SubDrainFlushTimeout time.Duration
	// FinalFlushTimeout bounds the flush of publishes after the
	// subscriptions are drained.
	FinalFlushTimeout time.Duration
	// FlushTimeout is the default timeout of a user Flush.
	FlushTimeout time.Duration

	// Default pending limits of a subscription (messages, bytes).
	PendingMsgsLimit  int
	PendingBytesLimit int
	// SyncChanLen is the capacity of a sync subscription's channel.
	SyncChanLen int

	// Reconnect defaults.
	ReconnectWait    time.Duration
	ReconnectJitter  time.Duration
	MaxReconnect     int
	ReconnectBufSize int

	// MaxPayload is the server's advertised max_payload.
	MaxPayload int
}

// GoProfile is nats.go v1.55 (see reference/nats-go-drain.md).
var GoProfile = Profile{
	Name:                 "go",
	Library:              "nats.go v1.55.0",
	Description:          "official Go client: subs drained first (publish allowed), 10 ms conn poll, 100 ms sub poll after a PING/PONG barrier, response mux last, then DRAINING_PUBS, 5 s flush, Close",
	DrainTimeout:         30 * time.Second,
	ConnDrainPoll:        10 * time.Millisecond,
	SubDrainPoll:         100 * time.Millisecond,
	SubDrainFlushTimeout: 10 * time.Second,
	FinalFlushTimeout:    5 * time.Second,
	FlushTimeout:         10 * time.Second,
	PendingMsgsLimit:     500_000,
	PendingBytesLimit:    64 * 1024 * 1024,
	SyncChanLen:          65_536,
	ReconnectWait:        2 * time.Second,
	ReconnectJitter:      100 * time.Millisecond,
	MaxReconnect:         60,
	ReconnectBufSize:     8 * 1024 * 1024,
	MaxPayload:           1024 * 1024,
}

var profiles = map[string]*Profile{
	GoProfile.Name: &GoProfile,
}

// LookupProfile returns the profile with the given name.
func LookupProfile(name string) (*Profile, error) {
	if p, ok := profiles[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown profile %q (known: %v)", name, ProfileNames())
}

// ProfileNames returns the known profile names in sorted order.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
