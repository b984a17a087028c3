package model

import "github.com/drainsim/drainsim/sim"

// A client in a cluster reconnects through its server pool, as nats.go's
// doReconnect and selectNextServer do (docs/cluster.md#reconnecting-to-another-server):
// the pool is the client's server, then its reconnect_servers in an order
// drawn through the Chooser (nats.go shuffles Options.Servers unless
// NoRandomize, and tries Options.Url first). Each attempt moves the
// current server to the end of the pool and dials the new first one; the
// loop sleeps ReconnectWait (plus jitter) only after it has gone through
// the whole pool, so after a break the next server is tried at once. A
// client without reconnect_servers has a pool of one and sleeps before
// every attempt, as on one server. Servers nats.go learns from INFO
// connect_urls (implicit ones) are not added: list them.

// clientPool is a client's server pool in a cluster: the server it is
// connected to, or last dialled, first; tried is the reconnect loop's
// count of attempts made without a sleep (doReconnect's i); forced is set
// by ForceReconnect, whose first attempt does not sleep.
type clientPool struct {
	servers []*Server
	tried   int
	forced  bool
}

// buildPools gives every client its server pool.
func (w *World) buildPools() {
	cl, t := w.cl, w.sc.Topology
	cl.pools = make([]clientPool, len(w.conns))
	for i, spec := range w.sc.Clients {
		p := []*Server{cl.home[i]}
		order := []int{0}
		if n := len(spec.ReconnectServers); n > 1 {
			order = sim.Perm(w.rngClient.Stream(spec.Name+"/server-pool"), "server-pool", n)
		}
		for _, j := range order[:len(spec.ReconnectServers)] {
			p = append(p, cl.servers[t.Index(spec.ReconnectServers[j])])
		}
		cl.pools[i].servers = p
	}
}

// skipSleep reports whether c's reconnect loop goes on to the next server
// of its pool at once (doReconnect's doSleep is false): while the pool has
// servers not yet tried in this round, or once after ForceReconnect.
func (cl *cluster) skipSleep(c *Conn) bool {
	p := &cl.pools[c.idx]
	sleep := p.tried+1 >= len(p.servers) && !p.forced
	p.forced = false
	if sleep {
		p.tried = 0
		return false
	}
	p.tried++
	return true
}

// selectNext moves the server c is connected to (or last dialled) to the
// end of its pool and returns the new first one (selectNextServer).
func (cl *cluster) selectNext(c *Conn) *Server {
	p := cl.pools[c.idx].servers
	if len(p) > 1 {
		first := p[0]
		copy(p, p[1:])
		p[len(p)-1] = first
	}
	return p[0]
}

// dialTarget is the server a reconnect attempt of c dials: the next of its
// pool in a cluster, else the only one.
func (w *World) dialTarget(c *Conn) *Server {
	if w.cl == nil {
		return w.server
	}
	return w.cl.selectNext(c)
}

// moveTo makes srv c's server for the connection being opened. What c
// still has in flight toward its old server belongs to the old connection
// and is lost, rather than reaching the new server on the new one.
func (w *World) moveTo(c *Conn, srv *Server) {
	cl := w.cl
	if cl == nil || cl.home[c.idx] == srv {
		return
	}
	if c.toServer.busy() {
		c.toServer.cut()
	}
	w.trace(c.name, "reconnect.server", sim.Str("from", cl.home[c.idx].cl.name), sim.Str("to", srv.cl.name))
	cl.home[c.idx] = srv
}
