package model

import (
	"testing"
	"unsafe"
)

// TestConnLinksStartLines: a Conn is an odd number of whole cache lines
// and each of its links starts one, so that a link's write-and-arrival
// fields (its first two lines) are two lines in the array a run's
// connections are made in, not three, and a thousand Conns use all of the
// L2's sets (Scale/clients=1k, docs/performance-history.md, h19clients). Catches a
// field added before fromServer that pushes it off its line (as rec did:
// 192 -> 200), a field added or removed without connPad following (the
// message says which connPad fits), a Conn of an even number of lines (16
// lines: +2 % LL misses), and a link field added before closing that
// pushes the hot ones past two lines.
func TestConnLinksStartLines(t *testing.T) {
	var c Conn
	for _, f := range []struct {
		name string
		off  uintptr
	}{{"toServer", unsafe.Offsetof(c.toServer)}, {"fromServer", unsafe.Offsetof(c.fromServer)}} {
		if f.off%lineSize != 0 {
			t.Errorf("Conn.%s at byte %d, want a multiple of %d", f.name, f.off, lineSize)
		}
	}
	size := unsafe.Sizeof(c)
	if size%lineSize != 0 || size/lineSize%2 == 0 {
		fields := size - connPad
		lines := (fields+lineSize-1)/lineSize | 1
		t.Errorf("Conn is %d bytes, want an odd number of %d-byte lines: set connPad to %d (%d lines)",
			size, lineSize, lines*lineSize-fields, lines)
	}
	if hot := unsafe.Offsetof(c.toServer.closing) + 1; hot > 2*lineSize {
		t.Errorf("a link's write-and-arrival fields end at byte %d, want at most %d", hot, 2*lineSize)
	}
}
