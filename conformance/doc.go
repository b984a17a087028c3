// Package conformance measures how faithfully the model's Go profile
// reproduces the real nats.go client and nats-server. Prepare turns a
// scenario into one a real run can reproduce (constant durations, times
// scaled down); ModelKeys names the model's messages the way a real run
// tags them; Determined tells whether a scenario's outcome is determined
// enough to compare; Compare lists the differences between a model run and
// a real run, with times judged by a Tolerance. RealResult rebuilds a real
// run's records as a model.Result, on which RealInvariants, the part of the
// invariant catalogue a real run can show, judge the real client (the
// property checks of nats.go). The real-stack runner lives
// in the package's test files, so that nothing a user imports depends on
// nats (see docs/conformance.md).
package conformance
