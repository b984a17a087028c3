package model

import (
	"github.com/drainsim/drainsim/sim"
)

// A client with offline_until has no connection when the scenario starts
// (issue 16 item 3, "Drain while the first connect is in progress").
// nats.go's Connect is synchronous, so a first connect can be in progress
// while the application runs only with RetryOnFailedConnect: when the
// first attempt fails, Connect returns a connection in RECONNECTING and
// its reconnect loop goes on connecting (nats.go v1.55.0 connect). While
// that first connect is pending (initc), the loop calls no disconnected
// callback, and its success calls ConnectedCB instead of ReconnectedCB
// (doReconnect); everything else, Drain returning ErrConnectionReconnecting
// and closing at once among it, is a reconnecting connection's.

// startOffline sets c up as a connection whose first connect failed
// because its network is down until until: RECONNECTING, no TCP
// connection, the reconnect loop started.
func (w *World) startOffline(c *Conn, until sim.Time) {
	w.netDown[c.idx] = until
	c.status, c.tcp, c.initc = Reconnecting, false, true
	c.rec.Status[0].Status = Reconnecting
	c.toServer.down, c.fromServer.down = true, true
	w.trace(c.name, "connect.failed", sim.Str("retry", "RetryOnFailedConnect"))
	c.scheduleReconnectAttempt()
}

// connectedFirst reports, once, whether the connect that just completed
// is the first one (initc): it calls no ReconnectedCB.
func (c *Conn) connectedFirst() bool {
	first := c.initc
	c.initc = false
	return first
}
