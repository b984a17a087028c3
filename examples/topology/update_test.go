package topology_test

// The module's one -update flag: this package has nothing to regenerate,
// but go test ./... -update passes the flag to every test binary, and one
// that does not define it fails (see package internal/update).
import _ "github.com/drainsim/drainsim/internal/update"
