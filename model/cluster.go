package model

import (
	"github.com/drainsim/drainsim/model/scenario"
)

// checkTopology refuses the parts of a topology the model does not
// simulate yet (docs/cluster.md#not-yet-modelled), before anything runs,
// rather than run them as one server.
func checkTopology(sc *scenario.Scenario) error {
	t := sc.Topology
	if t == nil {
		return nil
	}
	switch {
	case len(t.Leafnodes) > 0:
		return &scenario.Error{File: sc.File, Line: t.Line, Field: "leafnodes",
			Msg: "leaf nodes are parsed and checked but not modelled yet (docs/cluster.md#not-yet-modelled); want servers joined by routes only"}
	case len(t.Gateways) > 0:
		return &scenario.Error{File: sc.File, Line: t.Line, Field: "gateways",
			Msg: "gateways are parsed and checked but not modelled yet (docs/cluster.md#not-yet-modelled); want servers joined by routes only"}
	}
	return nil
}
