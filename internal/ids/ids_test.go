package ids

import (
	"strings"
	"testing"
)

// Request ids are "req_" and 24 base32 characters, and unique.
func TestRequest(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := Request()
		if len(id) != 28 || !strings.HasPrefix(id, "req_") || strings.Trim(id[4:], "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			t.Fatalf("request id %q: want req_ and 24 base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("request id %q twice", id)
		}
		seen[id] = true
	}
}
