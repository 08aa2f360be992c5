package service

import (
	"errors"
	"fmt"
	"testing"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/store"
)

// TestErrMapsStoreErrorsOnce: the store's sentinels become their catalogue
// codes here, whatever wraps them; a store failure is 503 with Retry-After;
// a catalogue error is kept as it is.
func TestErrMapsStoreErrorsOnce(t *testing.T) {
	for name, c := range map[string]struct {
		err        error
		code       apierr.Code
		retryAfter bool
	}{
		"missing row":          {fmt.Errorf("get key: %w", store.ErrNotFound), apierr.NotFound, false},
		"lost version race":    {fmt.Errorf("update key: %w", store.ErrConflict), apierr.Conflict, false},
		"store down":           {errors.New("dial tcp 127.0.0.1:5432: connection refused"), apierr.ServiceUnavailable, true},
		"catalogue error kept": {KeyNotFound("key_x"), apierr.NotFound, false},
	} {
		e := apierr.From(Err(c.err))
		if e.Code != c.code {
			t.Errorf("%s: code %s, want %s", name, e.Code, c.code)
		}
		if got := e.Header.Get("Retry-After") != ""; got != c.retryAfter {
			t.Errorf("%s: Retry-After set %v, want %v", name, got, c.retryAfter)
		}
	}
	if Err(nil) != nil {
		t.Error("Err(nil) is not nil")
	}
	// found names the object; other errors pass through for the
	// transaction's conflict retry.
	if e := apierr.From(found(store.ErrNotFound, MemberNotFound("mem_x"))); e.Code != apierr.NotFound || e.Message != apierr.From(MemberNotFound("mem_x")).Message {
		t.Errorf("found: %v", e)
	}
	if err := found(store.ErrConflict, KeyNotFound("k")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("found changed a conflict: %v", err)
	}
	if !IsNotFound(Err(store.ErrNotFound)) || IsNotFound(Err(errors.New("x"))) {
		t.Error("IsNotFound")
	}
}
