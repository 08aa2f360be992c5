package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

func zero() float64 { return 0 }

// The cached children are the vectors' own: counts land in the same series.
func TestCachedChildren(t *testing.T) {
	m := New(zero, zero, zero)
	m.Request("chat", "mock-gpt", 200).Inc()
	m.Request("chat", "mock-gpt", 200).Inc()
	m.Requests.WithLabelValues("chat", "mock-gpt", "200").Inc()
	m.Request("chat", "mock-gpt", 429).Inc()
	if got := value(t, m.Requests.WithLabelValues("chat", "mock-gpt", "200")); got != 3 {
		t.Fatalf("requests{chat,mock-gpt,200} = %v, want 3", got)
	}
	if got := value(t, m.Requests.WithLabelValues("chat", "mock-gpt", "429")); got != 1 {
		t.Fatalf("requests{chat,mock-gpt,429} = %v, want 1", got)
	}
	m.Rejection("rate_limit_exceeded").Inc()
	if got := value(t, m.Rejections.WithLabelValues("rate_limit_exceeded")); got != 1 {
		t.Fatalf("rejections = %v, want 1", got)
	}
	m.Upstream("mock").Observe(0.01)
	if got := value(t, m.UpstreamLatency.WithLabelValues("mock").(prometheus.Metric)); got != 1 {
		t.Fatalf("upstream latency samples = %v, want 1", got)
	}
}

func BenchmarkRequestCounter(b *testing.B) {
	m := New(zero, zero, zero)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Request("chat", "mock-gpt", 200).Inc()
		}
	})
	b.Run("WithLabelValues", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Requests.WithLabelValues("chat", "mock-gpt", "200").Inc()
		}
	})
}
