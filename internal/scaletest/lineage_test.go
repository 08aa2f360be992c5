package scaletest

import (
	"fmt"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testgw"
	"github.com/keygate/keygate/internal/testredis"
)

// TestRotationLineageAcrossInstances: a key rotated on one instance and its
// replacement share one budget and one rate limit on every instance (the
// Redis ledger and limiter are keyed by the rotation lineage).
func TestRotationLineageAcrossInstances(t *testing.T) {
	redisURL := testredis.URL(t, 14)
	gs := cluster(t, 2, redisURL)
	k := gs[0].CreateKey(map[string]any{"rpm": 3})
	var rot testgw.CreatedKey
	if st := gs[0].Admin("POST", "/admin/v1/keys/"+k.ID+"/rotate", map[string]any{"grace_seconds": 3600}, &rot); st != 201 {
		t.Fatalf("rotate: %d", st)
	}
	// The second instance learns the new key (the old one it knew).
	if _, ok := waitFor(5*time.Second, func() bool { return call(t, gs[1], rot.Key, chatBody).code != "invalid_api_key" }); !ok {
		t.Fatal("the second instance did not learn the rotation within 5 s")
	}
	// The probe spent some of the 3 calls of this minute on the new key;
	// spend what is left of them on instance 0.
	for i := 0; i < 3; i++ {
		if a := call(t, gs[0], rot.Key, chatBody); a.status == 429 {
			break
		} else if a.status != 200 {
			t.Fatalf("call %d on the new key: %d %s", i, a.status, a.body)
		}
	}
	if a := call(t, gs[1], k.Key, chatBody); a.status != 429 || a.code != "rate_limit_exceeded" {
		t.Fatalf("old key on the other instance after the lineage's rpm was spent: %d %s %s", a.status, a.code, fmt.Sprint(a.body))
	}
}
