package conformance

import (
	"fmt"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// ProtocolVersion is the version of the driver protocol
// (docs/driver-protocol.md) that Compile writes and ReadEvents reads.
const ProtocolVersion = 1

// Plan is a scenario compiled for a driver: what a program written in a
// client library's own language needs to play the scenario against a real
// server, with every default of the profile resolved and every time in
// nanoseconds. Its JSON form is the driver protocol's plan.
type Plan struct {
	Protocol      int        `json:"protocol"`
	Scenario      string     `json:"scenario"`
	Profile       string     `json:"profile"`
	UntilNS       int64      `json:"until_ns"`
	Clients       []PlanConn `json:"clients"`
	Subscriptions []PlanSub  `json:"subscriptions"`
	Actions       []PlanStep `json:"actions"`
}

// PlanConn is one client connection and its options.
type PlanConn struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// DrainTimeoutNS is the timeout to pass to the drain call; -1 for a
	// library whose drain takes none.
	DrainTimeoutNS        int64 `json:"drain_timeout_ns"`
	Reconnect             bool  `json:"reconnect"`
	ReconnectWaitNS       int64 `json:"reconnect_wait_ns"`
	ReconnectJitterNS     int64 `json:"reconnect_jitter_ns"`
	MaxReconnect          int   `json:"max_reconnect"`
	ReconnectBufSize      int   `json:"reconnect_buf_size"`
	NoCallbacksAfterClose bool  `json:"no_callbacks_after_close"`
}

// PlanSub is one subscription.
type PlanSub struct {
	ID                string `json:"id"`
	Client            string `json:"client"`
	Subject           string `json:"subject"`
	Queue             string `json:"queue"`
	Type              string `json:"type"`
	Deferred          bool   `json:"deferred"`
	Max               int    `json:"max"`
	PendingMsgsLimit  int    `json:"pending_msgs_limit"`
	PendingBytesLimit int    `json:"pending_bytes_limit"`
	// Dispatcher names the client's shared dispatcher the subscription
	// belongs to ("" for one of its own; see scenario.Subscription).
	Dispatcher string      `json:"dispatcher"`
	Handler    PlanHandler `json:"handler"`
}

// PlanHandler is what an async subscription's callback does.
type PlanHandler struct {
	DurationNS int64      `json:"duration_ns"`
	Blocking   bool       `json:"blocking"`
	Actions    []PlanStep `json:"actions"`
}

// PlanStep is one action, top-level (Source and AtNS set) or of a handler
// (Nth set). Exactly one verb is set; Harness marks the faults the harness
// realises itself.
type PlanStep struct {
	Source  string `json:"source,omitempty"`
	AtNS    int64  `json:"at_ns"`
	Nth     int    `json:"nth"`
	Harness bool   `json:"harness,omitempty"`

	Publish         *PlanPublish    `json:"publish,omitempty"`
	Request         *PlanRequest    `json:"request,omitempty"`
	Reply           *PlanSize       `json:"reply,omitempty"`
	Flush           *PlanFlush      `json:"flush,omitempty"`
	Subscribe       *PlanSubRef     `json:"subscribe,omitempty"`
	Unsubscribe     *PlanSubRef     `json:"unsubscribe,omitempty"`
	AutoUnsubscribe *PlanAutoUnsub  `json:"auto_unsubscribe,omitempty"`
	DrainSub        *PlanDrainSub   `json:"drain_sub,omitempty"`
	Drain           *PlanClientRef  `json:"drain,omitempty"`
	Close           *PlanClientRef  `json:"close,omitempty"`
	NextMsg         *PlanNextMsg    `json:"next_msg,omitempty"`
	Sleep           *PlanSleep      `json:"sleep,omitempty"`
	Disconnect      *PlanDisconnect `json:"disconnect,omitempty"`
	RestartServer   *PlanRestart    `json:"restart_server,omitempty"`
}

// Verb names the step's action as the plan and the events spell it.
func (s *PlanStep) Verb() string {
	switch {
	case s.Publish != nil:
		return "publish"
	case s.Request != nil:
		return "request"
	case s.Reply != nil:
		return "reply"
	case s.Flush != nil:
		return "flush"
	case s.Subscribe != nil:
		return "subscribe"
	case s.Unsubscribe != nil:
		return "unsubscribe"
	case s.AutoUnsubscribe != nil:
		return "auto_unsubscribe"
	case s.DrainSub != nil:
		return "drain_sub"
	case s.Drain != nil:
		return "drain"
	case s.Close != nil:
		return "close"
	case s.NextMsg != nil:
		return "next_msg"
	case s.Sleep != nil:
		return "sleep"
	case s.Disconnect != nil:
		return "disconnect"
	case s.RestartServer != nil:
		return "restart_server"
	}
	return ""
}

// PlanPublish publishes Count messages, IntervalNS apart. Client is empty
// in a handler (the handler's own connection publishes).
type PlanPublish struct {
	Client     string `json:"client,omitempty"`
	Subject    string `json:"subject"`
	Reply      string `json:"reply"`
	Size       int    `json:"size"`
	Count      int    `json:"count"`
	IntervalNS int64  `json:"interval_ns"`
}

// PlanRequest sends Count requests, IntervalNS apart, each waiting up to
// TimeoutNS for its reply.
type PlanRequest struct {
	Client     string `json:"client,omitempty"`
	Subject    string `json:"subject"`
	Size       int    `json:"size"`
	TimeoutNS  int64  `json:"timeout_ns"`
	Count      int    `json:"count"`
	IntervalNS int64  `json:"interval_ns"`
}

// PlanSize is a reply's padding.
type PlanSize struct {
	Size int `json:"size"`
}

// PlanFlush is a PING/PONG round trip bounded by TimeoutNS.
type PlanFlush struct {
	Client    string `json:"client"`
	TimeoutNS int64  `json:"timeout_ns"`
}

// PlanSubRef names a subscription (empty in a handler: its own).
type PlanSubRef struct {
	Sub string `json:"sub,omitempty"`
}

// PlanDrainSub drains a subscription (Sub empty in a handler: its own)
// with TimeoutNS: the scenario's timeout, else the client's drain timeout
// (-1 for a library whose drain takes none).
type PlanDrainSub struct {
	Sub       string `json:"sub,omitempty"`
	TimeoutNS int64  `json:"timeout_ns"`
}

// PlanClientRef names a client (empty in a handler: its own).
type PlanClientRef struct {
	Client string `json:"client,omitempty"`
	// Wait (a handler's drain only): the handler waits until the drain is
	// done instead of starting it and going on.
	Wait bool `json:"wait,omitempty"`
}

// PlanAutoUnsub sets a subscription's auto-unsubscribe limit.
type PlanAutoUnsub struct {
	Sub string `json:"sub"`
	Max int    `json:"max"`
}

// PlanNextMsg calls NextMsg Count times, each waiting up to TimeoutNS.
type PlanNextMsg struct {
	Sub       string `json:"sub"`
	TimeoutNS int64  `json:"timeout_ns"`
	Count     int    `json:"count"`
}

// PlanSleep keeps a handler busy for a further DurationNS.
type PlanSleep struct {
	DurationNS int64 `json:"duration_ns"`
}

// PlanDisconnect breaks a client's link for ForNS.
type PlanDisconnect struct {
	Client string `json:"client"`
	ForNS  int64  `json:"for_ns"`
}

// PlanRestart stops the server and starts it again after ForNS.
type PlanRestart struct {
	ForNS int64 `json:"for_ns"`
}

// NoTimeout is the plan's drain_timeout_ns for a library whose drain takes
// no timeout.
const NoTimeout = -1

// Compile turns a prepared scenario (see Prepare: constant durations) into
// a plan for a driver of profile p. urls gives each client's server URL
// (the harness's relay); until is how long the driver plays.
func Compile(sc *scenario.Scenario, p *model.Profile, urls map[string]string, until time.Duration) (*Plan, error) {
	pl := &Plan{Protocol: ProtocolVersion, Scenario: sc.Name, Profile: p.Name, UntilNS: int64(until),
		Clients: []PlanConn{}, Subscriptions: []PlanSub{}, Actions: []PlanStep{}}
	for i, c := range sc.Clients {
		if c.LameDuck != scenario.LameDuckIgnore {
			return nil, fmt.Errorf("%s: clients[%d]: lame_duck is not in driver protocol v%d; only the model plays lame-duck mode", sc.Name, i, ProtocolVersion)
		}
		if c.PingInterval != nil || c.MaxPingsOut != nil || c.OfflineUntil != nil {
			return nil, fmt.Errorf("%s: clients[%d]: ping_interval, max_pings_out and offline_until are not in driver protocol v%d; only the Go runner plays them", sc.Name, i, ProtocolVersion)
		}
		url, ok := urls[c.Name]
		if !ok {
			return nil, fmt.Errorf("%s: no server URL for client %s", sc.Name, c.Name)
		}
		pc := PlanConn{Name: c.Name, URL: url, DrainTimeoutNS: int64(p.DrainTimeout),
			Reconnect: c.AllowReconnect, ReconnectWaitNS: int64(p.ReconnectWait), ReconnectJitterNS: int64(p.ReconnectJitter),
			MaxReconnect: p.MaxReconnect, ReconnectBufSize: p.ReconnectBufSize, NoCallbacksAfterClose: c.NoCallbacksAfterClose}
		if p.TimeoutStart == model.NoTimeout {
			pc.DrainTimeoutNS = NoTimeout
		} else if c.DrainTimeout != nil {
			pc.DrainTimeoutNS = int64(*c.DrainTimeout)
		}
		if c.ReconnectWait != nil {
			pc.ReconnectWaitNS = int64(*c.ReconnectWait)
		}
		if c.MaxReconnect != nil {
			pc.MaxReconnect = *c.MaxReconnect
		}
		if c.ReconnectBufSize != nil {
			pc.ReconnectBufSize = *c.ReconnectBufSize
		}
		pl.Clients = append(pl.Clients, pc)
	}
	for i, s := range sc.Subs {
		// Chan subscriptions and status events are nats.go's; drivers in
		// other languages have neither, and protocol v1 carries neither.
		if s.Type == scenario.Chan || s.StatusEvents {
			return nil, fmt.Errorf("%s: subscriptions[%d]: chan subscriptions and status_events are not in driver protocol v%d; only the Go runner plays them", sc.Name, i, ProtocolVersion)
		}
		c := sc.Client(s.Client)
		ps := PlanSub{ID: s.ID, Client: s.Client, Subject: s.Subject, Queue: s.Queue, Type: s.Type.String(),
			Deferred: s.Deferred, Max: s.Max,
			PendingMsgsLimit:  limit(p.PendingMsgsLimit, c.PendingMsgsLimit, s.PendingMsgsLimit),
			PendingBytesLimit: limit(p.PendingBytesLimit, c.PendingBytesLimit, s.PendingBytesLimit),
			Handler:           PlanHandler{DurationNS: int64(s.Handler.Duration.A), Blocking: s.Handler.Blocking, Actions: []PlanStep{}}}
		ps.Dispatcher = s.Dispatcher
		for j, a := range s.Handler.Actions {
			if a.Publish != nil && a.Publish.Headers != 0 {
				return nil, fmt.Errorf("%s: subscriptions[%d].handler.actions[%d]: publish headers are not in driver protocol v%d; only the Go runner plays them", sc.Name, i, j, ProtocolVersion)
			}
			st := handlerStep(&a)
			if a.DrainSub != nil {
				st.DrainSub.TimeoutNS = subDrainTimeout(pl, s.Client, a.DrainSub)
			}
			ps.Handler.Actions = append(ps.Handler.Actions, st)
		}
		pl.Subscriptions = append(pl.Subscriptions, ps)
	}
	for i := range sc.Actions {
		if p := sc.Actions[i].Publish; p != nil && p.Headers != 0 {
			return nil, fmt.Errorf("%s: actions[%d]: publish headers are not in driver protocol v%d; only the Go runner plays them", sc.Name, i, ProtocolVersion)
		}
		if sc.Actions[i].Stall != nil {
			return nil, fmt.Errorf("%s: actions[%d]: stall is not in driver protocol v%d; only the Go runner's virtual links play it", sc.Name, i, ProtocolVersion)
		}
		if sc.Actions[i].LameDuck != nil {
			return nil, fmt.Errorf("%s: actions[%d]: lame_duck is not in driver protocol v%d; only the model plays lame-duck mode", sc.Name, i, ProtocolVersion)
		}
		if sc.Actions[i].Counters != nil {
			return nil, fmt.Errorf("%s: actions[%d]: counters (nats.go's Pending and Delivered) are not in driver protocol v%d; only the Go runner plays them", sc.Name, i, ProtocolVersion)
		}
		if sc.Actions[i].After != nil {
			// Drivers in other languages play actions at times only.
			return nil, fmt.Errorf("%s: actions[%d]: event-triggered actions (after:) are not in driver protocol v%d; only the Go runner plays them", sc.Name, i, ProtocolVersion)
		}
		st := topStep(i, &sc.Actions[i])
		if ds := sc.Actions[i].DrainSub; ds != nil {
			st.DrainSub.TimeoutNS = subDrainTimeout(pl, sc.Sub(ds.Sub).Client, ds)
		}
		pl.Actions = append(pl.Actions, st)
	}
	return pl, nil
}

// subDrainTimeout resolves a subscription drain's timeout: the scenario's,
// else its client's drain timeout.
func subDrainTimeout(pl *Plan, client string, ds *scenario.DrainSub) int64 {
	for _, c := range pl.Clients {
		if c.Name != client {
			continue
		}
		if ds.Timeout != nil && c.DrainTimeoutNS != NoTimeout {
			return int64(*ds.Timeout)
		}
		return c.DrainTimeoutNS
	}
	return NoTimeout
}

// limit resolves a pending limit: the subscription's, else the client's,
// else the profile's; negative means unlimited (-1).
func limit(profile int, client, sub *int) int {
	v := profile
	if client != nil {
		v = *client
	}
	if sub != nil {
		v = *sub
	}
	return max(v, -1)
}

func handlerStep(a *scenario.HandlerAction) PlanStep {
	st := PlanStep{Nth: a.Nth}
	switch {
	case a.Reply != nil:
		st.Reply = &PlanSize{Size: a.Reply.Size}
	case a.Publish != nil:
		st.Publish = publishStep(a.Publish, "")
	case a.Request != nil:
		st.Request = requestStep(a.Request, "")
	case a.Unsubscribe != nil:
		st.Unsubscribe = &PlanSubRef{}
	case a.DrainSub != nil:
		st.DrainSub = &PlanDrainSub{}
	case a.Subscribe != nil:
		st.Subscribe = &PlanSubRef{Sub: a.Subscribe.Sub}
	case a.Drain != nil:
		st.Drain = &PlanClientRef{Wait: a.Drain.Wait}
	case a.Sleep != nil:
		st.Sleep = &PlanSleep{DurationNS: int64(a.Sleep.A)}
	}
	return st
}

func topStep(i int, a *scenario.Action) PlanStep {
	st := PlanStep{Source: fmt.Sprintf("actions[%d]", i), AtNS: int64(a.At)}
	switch {
	case a.Publish != nil:
		st.Publish = publishStep(a.Publish, a.Publish.Client)
	case a.Request != nil:
		st.Request = requestStep(a.Request, a.Request.Client)
	case a.Flush != nil:
		st.Flush = &PlanFlush{Client: a.Flush.Client, TimeoutNS: int64(a.Flush.Timeout)}
	case a.Subscribe != nil:
		st.Subscribe = &PlanSubRef{Sub: a.Subscribe.Sub}
	case a.Unsubscribe != nil:
		st.Unsubscribe = &PlanSubRef{Sub: a.Unsubscribe.Sub}
	case a.AutoUnsubscribe != nil:
		st.AutoUnsubscribe = &PlanAutoUnsub{Sub: a.AutoUnsubscribe.Sub, Max: a.AutoUnsubscribe.Max}
	case a.DrainSub != nil:
		st.DrainSub = &PlanDrainSub{Sub: a.DrainSub.Sub}
	case a.Drain != nil:
		st.Drain = &PlanClientRef{Client: a.Drain.Client}
	case a.Close != nil:
		st.Close = &PlanClientRef{Client: a.Close.Client}
	case a.NextMsg != nil:
		st.NextMsg = &PlanNextMsg{Sub: a.NextMsg.Sub, TimeoutNS: int64(a.NextMsg.Timeout), Count: a.NextMsg.Count}
	case a.Disconnect != nil:
		st.Disconnect = &PlanDisconnect{Client: a.Disconnect.Client, ForNS: int64(a.Disconnect.For)}
		st.Harness = true
	case a.RestartServer != nil:
		st.RestartServer = &PlanRestart{ForNS: int64(a.RestartServer.For)}
		st.Harness = true
	}
	return st
}

func publishStep(p *scenario.Publish, client string) *PlanPublish {
	return &PlanPublish{Client: client, Subject: p.Subject, Reply: p.Reply, Size: p.Size, Count: max(p.Count, 1), IntervalNS: int64(p.Interval)}
}

func requestStep(r *scenario.Request, client string) *PlanRequest {
	return &PlanRequest{Client: client, Subject: r.Subject, Size: r.Size, TimeoutNS: int64(r.Timeout), Count: max(r.Count, 1), IntervalNS: int64(r.Interval)}
}
