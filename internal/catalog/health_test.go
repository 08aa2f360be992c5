package catalog

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	c := &Channel{}
	for i := 0; i < BreakerFailures-1; i++ {
		c.Failure("boom", time.Hour)
	}
	if !c.Allow() || c.Report().State != StateClosed {
		t.Fatalf("opened before %d consecutive failures", BreakerFailures)
	}
	c.Failure("boom", time.Hour)
	if c.Allow() || c.Report().State != StateOpen || c.Healthy() {
		t.Fatalf("not open after %d failures: %+v", BreakerFailures, c.Report())
	}
	// Past the cool-down: exactly one probe goes through.
	c.Failure("boom", -time.Second)
	if !c.Allow() || c.Allow() {
		t.Fatal("half-open must admit one probe at a time")
	}
	c.Success(20 * time.Millisecond)
	if !c.Allow() || c.Report().State != StateClosed {
		t.Fatal("a successful probe must close the breaker")
	}
	r := c.Report()
	if r.Calls != 5 || r.Failures != 4 || r.LatencyP50MS == nil || *r.LatencyP50MS != 20 || r.LastError != "boom" {
		t.Fatalf("report: %+v", r)
	}
}

func TestBreakerErrorRate(t *testing.T) {
	c := &Channel{}
	for i := 0; i < BreakerMinCalls; i++ {
		if i%2 == 0 {
			c.Success(time.Millisecond)
		} else {
			c.Failure("flaky", time.Hour)
		}
	}
	if c.Allow() {
		t.Fatal("50% errors over the window must open the breaker")
	}
}

func TestConcurrencyCap(t *testing.T) {
	c := &Channel{}
	c.MaxConcurrency = 1
	if !c.Acquire() || c.Acquire() {
		t.Fatal("cap of 1 not enforced")
	}
	c.Release()
	if !c.Acquire() {
		t.Fatal("released slot not reusable")
	}
}
