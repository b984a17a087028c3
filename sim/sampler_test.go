package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// labelLog is a Chooser that embeds a PCG and records the labels of its
// draws: a type NewSampler must not call the PCG of directly.
type labelLog struct {
	*PCG
	labels []string
}

func (r *labelLog) IntN(label string, n int) int {
	r.labels = append(r.labels, label)
	return r.PCG.IntN(label, n)
}

func (r *labelLog) Float64(label string) float64 {
	r.labels = append(r.labels, label)
	return r.PCG.Float64(label)
}

// TestSamplerDrawsAsSample: a Sampler returns what Dist.Sample returns
// through the same Chooser, draw for draw, for every family (the direct
// PCG path for constants and uniforms, and d.Sample for the rest), for a
// PCG, a Chooser that embeds one, and Fixed; and a Chooser that embeds a
// PCG sees every draw with its label. Deliberate breaks it catches (each
// tried): the uniform's span without its upper bound (n = B-A), a wide
// uniform (span >= 2^62, which DurationIn draws with Float64) taken by the
// direct path, NewSampler calling the PCG inside an embedding type, and a
// power-of-two span scaled instead of masked (mask never set, or set for
// the wrong spans: the spans 2 and 2^62 catch both).
func TestSamplerDrawsAsSample(t *testing.T) {
	pct, err := ParseDist("percentiles(p50=20ms,p90=80ms,max=1s)")
	require.NoError(t, err)
	emp, err := NewEmpirical("empirical(t)", []time.Duration{3, 1, 2, 5})
	require.NoError(t, err)
	oneof, err := ParseDist("oneof(10ms,50ms,200ms)")
	require.NoError(t, err)
	dists := []Dist{
		Const(0), Const(7 * time.Millisecond),
		{Kind: Uniform, A: 50 * time.Microsecond, B: 150 * time.Microsecond},
		{Kind: Uniform, A: 5, B: 5}, {Kind: Uniform, A: 0, B: 1<<62 - 1}, {Kind: Uniform, A: 0, B: 1 << 62},
		{Kind: Uniform, A: 0, B: 1<<63 - 1}, {Kind: Uniform, A: 3, B: 4},
		{Kind: Exponential, A: time.Millisecond}, {Kind: LogNormal, A: time.Millisecond, Sigma: 0.5},
		pct, emp, oneof,
	}
	for i, d := range dists {
		for _, seed := range []uint64{1, 99} {
			a, b := NewPCG(seed).Stream("h"), NewPCG(seed).Stream("h")
			s := NewSampler(d, a, "handler")
			for n := range 2000 {
				require.Equal(t, d.Sample(b, "handler"), s.Sample(), "dist %d (%v) seed %d draw %d", i, d, seed, n)
			}
			rec, want := &labelLog{PCG: NewPCG(seed)}, &labelLog{PCG: NewPCG(seed)}
			s = NewSampler(d, rec, "handler")
			for range 50 {
				require.Equal(t, d.Sample(want, "handler"), s.Sample(), "dist %d (%v) through an embedding Chooser", i, d)
			}
			require.Equal(t, want.labels, rec.labels, "dist %d (%v): the embedding Chooser's draws", i, d)
			f := NewSampler(d, Fixed{}, "handler")
			require.Equal(t, d.Sample(Fixed{}, "handler"), f.Sample(), "dist %d (%v) through Fixed", i, d)
		}
	}
}

// BenchmarkSampler is a handler-time draw (uniform 50-150 µs) from a PCG
// stream, through a Sampler and through Dist.Sample.
func BenchmarkSampler(b *testing.B) {
	d := Dist{Kind: Uniform, A: 50 * time.Microsecond, B: 150 * time.Microsecond}
	b.Run("sampler", func(b *testing.B) {
		s := NewSampler(d, NewPCG(1).Stream("h"), "handler")
		for range b.N {
			s.Sample()
		}
	})
	b.Run("dist", func(b *testing.B) {
		c := NewPCG(1).Stream("h")
		for range b.N {
			d.Sample(c, "handler")
		}
	})
}
