// Package scenario defines drainsim's scenario: the server, network, clients,
// subscriptions and timed actions of one simulated run, as read from a
// human-written YAML file. Parse and Load turn a file into a validated
// Scenario or an *Error naming the file, line and field at fault.
package scenario

import (
	"time"

	"github.com/drainsim/drainsim/sim"
)

// Scenario is a validated scenario. Every reference (client, subscription)
// resolves, every duration is non-negative and every count is in range.
type Scenario struct {
	File        string // where it was read from, for messages; "" if built in code
	Name        string
	Description string
	Profile     string // client library whose semantics apply, e.g. "go"
	ProfileLine int    // line of the profile field, for errors found later
	Seed        uint64
	Limits      Limits
	Network     Network
	Server      Server
	// Topology lists the servers and their links; nil means one server.
	Topology *Topology
	Clients  []Client
	Subs     []Subscription
	Actions  []Action
	// Vary bounds the perturbations `drainsim check FILE` draws (nil:
	// none); Expect is what the file's authors expect of every run.
	Vary   *Vary
	Expect []Expectation
	// PermuteTies (ties: permute) lets the run's Chooser order the events
	// that fall at the same virtual instant (sim.Sim.SetTies), instead of
	// running them in scheduling order; see docs/exhaustive.md.
	PermuteTies bool
	// Choices (choices: [...]), when not nil, are the run's choices, taken
	// in order instead of drawn from Seed (sim.Tape): how a sequence found
	// by exhaustive exploration replays. Past its end every choice takes
	// option 0.
	Choices []int
}

// Limits are the run's budgets. Exceeding one ends the run with a reported
// outcome instead of a hang.
type Limits struct {
	MaxTime   time.Duration // virtual time; default 10m
	MaxEvents uint64        // executed events; default 50,000,000
	// MaxRecords bounds the run's memory: every message published, every
	// delivery of one to a subscription and every API call is one record;
	// default DefaultMaxRecords. Zero (in code) means no limit but the
	// model's own cap (model.MaxLedgerRecords, 2^30).
	MaxRecords uint64
}

// Network describes the links between clients and the server.
type Network struct {
	// Latency is the one-way delay of each write, drawn per write. Writes on
	// one connection keep their order whatever the draws.
	Latency sim.Dist
	// Bandwidth is each link's capacity in bytes per second, per direction;
	// 0 means unlimited. With a bandwidth, bytes the server has not yet
	// written wait in its outbound buffer, which max_pending limits.
	Bandwidth int
}

// Server holds the nats-server settings the model uses.
type Server struct {
	// NoResponders lets the server answer a request that has no interest with
	// a 503 status message (nats.go asks for this by default). Default true.
	NoResponders bool
	// MaxPending is max_pending, the bytes a connection's outbound buffer
	// may hold before the server closes it as a slow consumer; 0 means
	// nats-server's default, 64 MiB. It matters only with a bandwidth.
	MaxPending int
	// MaxPendingLine is the line of max_pending, for errors found when the
	// profile is known (max_pending must be at least max_payload).
	MaxPendingLine int
	// NoFastProducerStall is nats-server's no_fast_producer_stall: a
	// publisher is not stalled by a subscriber whose outbound buffer is over
	// 75 % of MaxPending; the message is dropped for that subscriber instead.
	NoFastProducerStall bool
}

// Client is one NATS connection and its options.
type Client struct {
	Name string
	// DrainTimeout is Options.DrainTimeout; nil means the profile's default.
	DrainTimeout *time.Duration
	// PendingMsgsLimit and PendingBytesLimit are the default pending limits
	// of this client's subscriptions; nil means the profile's defaults, a
	// negative value means unlimited.
	PendingMsgsLimit  *int
	PendingBytesLimit *int
	// AllowReconnect is Options.AllowReconnect (default true).
	AllowReconnect bool
	// ReconnectWait is the pause between reconnect attempts; nil = default.
	ReconnectWait *time.Duration
	// MaxReconnect is the number of reconnect attempts; nil = default.
	MaxReconnect *int
	// ReconnectBufSize bounds publishes buffered while reconnecting; nil = default.
	ReconnectBufSize *int
	// NoCallbacksAfterClose suppresses the disconnected and closed callbacks
	// after a user Close (and so after a completed drain).
	NoCallbacksAfterClose bool
	// Server is the server the client connects to ("" with no topology:
	// the only one; with one, the first server listed).
	Server string
	// ReconnectServers are the servers the client tries, in order, when
	// its connection breaks (after its own).
	ReconnectServers []string
	// PingInterval is nats.go's Options.PingInterval: the client sends a
	// PING this often while CONNECTED. nil: no PING timer in the model
	// (nats.go's default is 2 minutes; no scenario needed it before).
	PingInterval *time.Duration
	// MaxPingsOut is Options.MaxPingsOut: the timer declares the connection
	// stale (ErrStaleConnection) when a PING would make more than this many
	// outstanding. nil: nats.go's default, 2. Used with PingInterval only.
	MaxPingsOut *int
	// OfflineUntil: the client's network is down from the start until
	// then, and it connects with nats.go's RetryOnFailedConnect, so its
	// first connect fails and the connection starts RECONNECTING; its
	// reconnect attempts succeed once the network is up. nil: connected
	// before the scenario starts.
	OfflineUntil *time.Duration
	// LameDuck is what the client's LameDuckModeHandler does when its
	// server enters lame-duck mode (default: nothing, nats.go's).
	LameDuck LameDuckReaction
	Line     int
}

// SubType is the kind of subscription.
type SubType uint8

// Subscription kinds.
const (
	Async SubType = iota // a callback runs per message
	Sync                 // the application calls NextMsg
	// Chan is nats.go's ChanSubscribe: messages go into a channel of the
	// application's, which it reads (next_msg); the client counts nothing
	// as pending, so a drain does not wait for the reads.
	Chan
)

// DefaultChanLen is the capacity of a chan subscription's channel when
// the scenario gives none: nats.go's DefaultMaxChanLen, the capacity of
// its own sync subscriptions' channels.
const DefaultChanLen = 65_536

func (t SubType) String() string {
	switch t {
	case Sync:
		return "sync"
	case Chan:
		return "chan"
	}
	return "async"
}

// Callbacks reports whether subscriptions of this type run callbacks.
func (t SubType) Callbacks() bool { return t == Async }

// Subscription is one subscription of a client.
type Subscription struct {
	ID      string
	Client  string
	Subject string
	Queue   string
	Type    SubType
	// Deferred subscriptions are not subscribed at the start; a subscribe
	// action (top-level or in a handler) creates them.
	Deferred bool
	// Max is an auto-unsubscribe limit set right after subscribing (0 = none).
	Max int
	// StatusEvents: the application listens to the subscription's status
	// changes (nats.go's Subscription.StatusChanged, all four statuses)
	// from when it subscribes; the outcome lists them.
	StatusEvents bool
	// ChanLen is the capacity of a chan subscription's channel (0 for the
	// other types): a message that finds it full is dropped as a slow
	// consumer.
	ChanLen int
	// PendingMsgsLimit and PendingBytesLimit override the client's defaults.
	PendingMsgsLimit  *int
	PendingBytesLimit *int
	// Dispatcher names a dispatcher of the client that the subscription
	// shares with the others naming it: one queue and one thread run their
	// callbacks in arrival order (nats.java's Dispatcher). "" means a
	// subscription of its own. Only async subscriptions, and only profiles
	// that have dispatchers, may name one.
	Dispatcher     string
	DispatcherLine int
	Handler        Handler
	Line           int
}

// Handler is what an async subscription's callback does with each message:
// it is busy for Duration, then performs Actions in order, then returns.
// A request action blocks the callback until its reply or timeout.
type Handler struct {
	Duration sim.Dist
	// Blocking says the handler's time is CPU work that holds the thread
	// or event loop it runs on (a busy loop, a synchronous JavaScript body,
	// time.sleep under asyncio, sleep in an EventMachine callback) rather
	// than an await on a timer or I/O. It matters only under a profile whose
	// client runs its callbacks on one event loop; threaded clients run each
	// callback on a thread of its own either way.
	Blocking bool
	Actions  []HandlerAction
}

// HandlerAction is one step of a handler. Exactly one of the pointer fields
// is set. Nth, when positive, restricts the step to the Nth message the
// subscription hands to its callback (1-based).
type HandlerAction struct {
	Nth         int
	Reply       *Reply
	Publish     *Publish      // Client is ignored: the handler's own connection publishes
	Request     *Request      // Client is ignored
	Unsubscribe *struct{}     // unsubscribe the handler's own subscription
	DrainSub    *DrainSub     // drain the handler's own subscription (Sub is "")
	Subscribe   *SubRef       // subscribe a deferred subscription of the same client
	Drain       *HandlerDrain // drain the handler's connection
	Sleep       *sim.Dist     // stay busy for a further drawn time
	Line        int
}

// HandlerDrain is a handler's drain of its connection. By default the
// handler starts the drain and goes on (nats.go's Drain returns at once;
// an asyncio handler runs asyncio.create_task(nc.drain())). With Wait the
// handler waits until the drain is done (await nc.drain()), which a drain
// that waits for the handler's own message only ends by its timeout.
type HandlerDrain struct {
	Wait bool
}

// Reply answers the message on its reply subject.
type Reply struct {
	Size int
}

// Action is one step of the scenario, made at time At or, when After is
// set, on an event of the run (see Trigger). Exactly one of the verb
// fields (Publish to CutLink) is set.
type Action struct {
	At              time.Duration
	After           *Trigger // nil for a timed action
	Publish         *Publish
	Request         *Request
	Flush           *Flush
	Subscribe       *SubRef
	Unsubscribe     *SubRef
	AutoUnsubscribe *AutoUnsubscribe
	DrainSub        *DrainSub
	Drain           *ClientRef
	Close           *ClientRef
	NextMsg         *NextMsg
	Counters        *SubRef // read the subscription's Pending() and Delivered()
	Disconnect      *Disconnect
	RestartServer   *RestartServer
	Stall           *Stall
	LameDuck        *LameDuck
	CutLink         *CutLink
	Line            int
}

// Publish sends Count messages, Interval apart.
type Publish struct {
	Client  string
	Subject string
	Reply   string
	Size    int
	// Headers is the size in bytes of the message's encoded headers
	// (nats.go's HPUB header block); 0: no headers.
	Headers  int
	Count    int // default 1
	Interval time.Duration
}

// Request sends Count requests, Interval apart, each waiting up to Timeout
// for its reply through the connection's response subscription.
type Request struct {
	Client   string
	Subject  string
	Size     int
	Timeout  time.Duration // default 1s
	Count    int           // default 1
	Interval time.Duration
}

// Flush is a PING/PONG round trip bounded by Timeout (default 10s).
type Flush struct {
	Client  string
	Timeout time.Duration
}

// SubRef names a subscription by id.
type SubRef struct {
	Sub string
}

// DrainSub drains a subscription. Timeout, when set, is the timeout passed
// to the library's subscription drain (where it takes one); nil means the
// profile's: the client's drain timeout for libraries whose subscription
// drain takes the caller's timeout, the library's default otherwise.
type DrainSub struct {
	Sub     string // "" in a handler: the handler's own subscription
	Timeout *time.Duration
}

// ClientRef names a client.
type ClientRef struct {
	Client string
}

// AutoUnsubscribe sets a subscription's auto-unsubscribe limit.
type AutoUnsubscribe struct {
	Sub string
	Max int
}

// NextMsg calls NextMsg Count times (default 1) on a sync subscription, each
// call waiting up to Timeout (default 1s). A call that returns a message is
// followed at once by the next call.
type NextMsg struct {
	Sub     string
	Timeout time.Duration
	Count   int
}

// Disconnect breaks a client's connection; the network to the server stays
// down for For, after which the client may reconnect.
type Disconnect struct {
	Client string
	For    time.Duration
}

// Stall makes a client's current connection go silent for For without
// breaking: what either side writes, or has in flight, and would arrive
// during the stall arrives when it ends instead, in order, as TCP's
// retransmissions deliver it once a silent path comes back. Nothing is
// lost and neither side sees an error; a connection opened later is not
// stalled.
type Stall struct {
	Client string
	For    time.Duration
}

// RestartServer stops the server, dropping every connection and all server
// state, and starts it again on the same address after For. With servers:
// Server names which one ("": the first listed); it comes back empty, and
// its routes, leaf connections and gateways connect again later
// (docs/cluster.md#restarting-a-server).
type RestartServer struct {
	For    time.Duration
	Server string
}

// CutLink cuts the one route, leaf connection or gateway between two
// servers of the topology (Between, in either order) for For: what is in
// flight on it either way is lost, both servers drop the interest the
// other announced on it, and it connects again at the first reconnect
// attempt at or after the cut ends (docs/cluster.md#cutting-a-link). It
// is disconnect's counterpart for a link between servers.
type CutLink struct {
	Between [2]string
	For     time.Duration
}

// LameDuck puts a server of the topology into lame-duck mode, as
// nats-server's Server.lameDuckMode does (docs/cluster.md#lame-duck-mode):
// it stops accepting clients, tells its clients (async INFO with ldm),
// waits Grace (lame_duck_grace_period), evicts its clients one at a time
// over Duration − Grace (lame_duck_duration), then shuts down for good.
type LameDuck struct {
	Server   string
	Grace    time.Duration
	Duration time.Duration
}

// nats-server's lame-duck defaults (server/const.go):
// DEFAULT_LAME_DUCK_GRACE_PERIOD and DEFAULT_LAME_DUCK_DURATION.
const (
	DefaultLameDuckGrace    = 10 * time.Second
	DefaultLameDuckDuration = 2 * time.Minute
)

// LameDuckReaction is what a client does when its server announces
// lame-duck mode (the LameDuckModeHandler nats.go calls).
type LameDuckReaction uint8

// The reactions to a lame-duck notice.
const (
	// LameDuckIgnore: the handler does nothing (nats.go's default); the
	// client waits to be evicted, then reconnects.
	LameDuckIgnore LameDuckReaction = iota
	// LameDuckForceReconnect: the handler calls nc.ForceReconnect(),
	// breaking the connection at once and reconnecting to the next server.
	LameDuckForceReconnect
)

var lameDuckReactions = [...]string{"ignore", "force_reconnect"}

func (r LameDuckReaction) String() string { return lameDuckReactions[r] }

// Kind returns the name of the action's verb as written in scenario files.
func (a *Action) Kind() string {
	switch {
	case a.Publish != nil:
		return "publish"
	case a.Request != nil:
		return "request"
	case a.Flush != nil:
		return "flush"
	case a.Subscribe != nil:
		return "subscribe"
	case a.Unsubscribe != nil:
		return "unsubscribe"
	case a.AutoUnsubscribe != nil:
		return "auto_unsubscribe"
	case a.DrainSub != nil:
		return "drain_sub"
	case a.Drain != nil:
		return "drain"
	case a.Close != nil:
		return "close"
	case a.NextMsg != nil:
		return "next_msg"
	case a.Counters != nil:
		return "counters"
	case a.Disconnect != nil:
		return "disconnect"
	case a.RestartServer != nil:
		return "restart_server"
	case a.Stall != nil:
		return "stall"
	case a.LameDuck != nil:
		return "lame_duck"
	case a.CutLink != nil:
		return "cut_link"
	}
	return ""
}

// Kind returns the name of the handler action's verb as written in files.
func (a *HandlerAction) Kind() string {
	switch {
	case a.Reply != nil:
		return "reply"
	case a.Publish != nil:
		return "publish"
	case a.Request != nil:
		return "request"
	case a.Unsubscribe != nil:
		return "unsubscribe"
	case a.DrainSub != nil:
		return "drain_sub"
	case a.Subscribe != nil:
		return "subscribe"
	case a.Drain != nil:
		return "drain"
	case a.Sleep != nil:
		return "sleep"
	}
	return ""
}

// Client returns the client named name, or nil.
func (s *Scenario) Client(name string) *Client {
	for i := range s.Clients {
		if s.Clients[i].Name == name {
			return &s.Clients[i]
		}
	}
	return nil
}

// Sub returns the subscription with the given id, or nil.
func (s *Scenario) Sub(id string) *Subscription {
	for i := range s.Subs {
		if s.Subs[i].ID == id {
			return &s.Subs[i]
		}
	}
	return nil
}
