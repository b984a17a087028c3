package model

import (
	"strconv"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// This file is nats.go's client PING timer and its stale-connection
// detection (issue 16 item 3), armed only for a client with ping_interval:
// without it no timer event is scheduled and runs are as before.
//
// nats.go (v1.55.0, processConnectInit and processPingTimer): every
// connect arms the timer for PingInterval and zeroes pout. When it fires
// while the status is CONNECTED, pout is incremented; past MaxPingsOut the
// connection is stale (processOpErr(ErrStaleConnection): reconnect when
// allowed, else close); otherwise a PING is sent (a PONG waiter without a
// caller) and the timer is re-armed. In any other status (a drain,
// RECONNECTING, CLOSED) it returns without re-arming, so a draining
// connection is never found stale: a drain over a silent link runs into
// its drain timeout instead. Every PONG zeroes pout.
//
// nats.go pings for ever; the model stops a client's timer at a tick that
// finds nothing else scheduled but other PING timers and no stall going
// on: the world is idle, every PING would get its PONG, and nothing
// observable can happen any more, so the run ends quiescent instead of
// running into its time budget.

// defaultMaxPingsOut is nats.go's DefaultMaxPingOut.
const defaultMaxPingsOut = 2

// pingOptions resolves a client's PING timer options: interval 0 means
// no timer.
func pingOptions(c *scenario.Client) (time.Duration, int) {
	if c.PingInterval == nil {
		return 0, 0
	}
	out := defaultMaxPingsOut
	if c.MaxPingsOut != nil {
		out = *c.MaxPingsOut
	}
	return *c.PingInterval, out
}

// armPingTimer is the connect's "start or reset the timer": pout is
// zeroed and the timer fires PingInterval from now.
func (c *Conn) armPingTimer() {
	if !c.opts.pings {
		return
	}
	c.stopPingTimer()
	c.rarely().pout = 0
	c.schedulePing()
}

// schedulePing arms the timer for one interval from now.
func (c *Conn) schedulePing() {
	interval, _ := pingOptions(c.spec())
	c.rarely().ptmr = c.w.sim.After(interval, c.processPingTimer)
	c.w.pingsArmed++
}

// stopPingTimer stops the timer (at the close).
func (c *Conn) stopPingTimer() {
	if c.opts.pings && c.w.sim.Cancel(c.rarely().ptmr) {
		c.w.pingsArmed--
	}
}

// processPingTimer is nats.go's processPingTimer.
func (c *Conn) processPingTimer() {
	c.w.pingsArmed--
	if c.w.sim.Pending() <= c.w.pingsArmed && c.now() >= c.w.stallEnd {
		c.w.trace(c.name, "ping.timer", sim.Str("stopped", "idle"))
		return
	}
	if c.status != Connected {
		c.w.trace(c.name, "ping.timer", sim.Str("stopped", c.status.String()))
		return
	}
	r := c.rarely()
	r.pout++
	if _, maxOut := pingOptions(c.spec()); r.pout > maxOut {
		c.w.trace(c.name, "ping.stale", sim.Int("pings_out", int64(r.pout-1)))
		c.staleConnection()
		return
	}
	// sendPing(nil): a PONG waiter nobody waits on keeps the PONGs of
	// Flush calls matched in order.
	c.waiting().pongs.push(c.newFlushWait(func(string) {}))
	c.write(frame{op: opPing}, len("PING\r\n"))
	c.schedulePing()
}

// staleConnection is processOpErr(ErrStaleConnection) on a connection
// whose link is still up: when it reconnects, the client closes its
// socket (nc.conn.Close()), so what it wrote still reaches the server,
// then the end of the stream, while what the server sends is no longer
// read. When it closes instead, close() sends the end of the stream.
func (c *Conn) staleConnection() {
	if c.opts.allowReconnect {
		c.toServer.send(c.w.getFrames(), true)
		c.fromServer.cut()
		c.toServer.closing = true
	}
	c.processOpErr(ErrStaleConnection)
}

// checkPingAPI refuses ping_interval, max_pings_out and offline_until
// under a profile p of another library than nats.go: the PING timer and
// the retried first connect modelled here are nats.go's, and other
// clients' differ.
func checkPingAPI(sc *scenario.Scenario, p *Profile) error {
	for i := range sc.Clients {
		c := &sc.Clients[i]
		field := ""
		what := "its client PING timer"
		switch {
		case c.PingInterval != nil:
			field = "ping_interval"
		case c.MaxPingsOut != nil:
			field = "max_pings_out"
		case c.OfflineUntil != nil:
			field, what = "offline_until", "a first connect that keeps retrying (nats.go's RetryOnFailedConnect)"
		default:
			continue
		}
		return &scenario.Error{File: sc.File, Line: c.Line, Field: "clients[" + strconv.Itoa(i) + "]." + field,
			Msg: "profile " + p.Name + " (" + p.Library + ") has no model of " + what + " (only nats.go's); leave " + field + " out"}
	}
	return nil
}
