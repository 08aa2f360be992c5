// Package metrics defines keygate's Prometheus metrics. Labels carry only
// bounded values: routes, catalogue model names, status codes, channel names
// — never keys or request data.
package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics groups the collectors.
type Metrics struct {
	Registry        *prometheus.Registry
	Requests        *prometheus.CounterVec
	UpstreamLatency *prometheus.HistogramVec
	UpstreamErrors  *prometheus.CounterVec
	InFlight        prometheus.Gauge
	Rejections      *prometheus.CounterVec

	// Children of the vectors by label values, so the hot path does not
	// hash and look up label strings (nor format the status) per request.
	// Label values are bounded (see the package comment), so are these.
	requests   sync.Map // requestLabels → prometheus.Counter
	upstream   sync.Map // channel name → prometheus.Observer
	rejections sync.Map // error code → prometheus.Counter
}

type requestLabels struct {
	route, model string
	status       int
}

// Request returns the keygate_requests_total counter of one route, model
// and status.
func (m *Metrics) Request(route, model string, status int) prometheus.Counter {
	k := requestLabels{route, model, status}
	if c, ok := m.requests.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c, _ := m.requests.LoadOrStore(k, m.Requests.WithLabelValues(route, model, strconv.Itoa(status)))
	return c.(prometheus.Counter)
}

// Upstream returns the keygate_upstream_latency_seconds histogram of a
// channel.
func (m *Metrics) Upstream(channel string) prometheus.Observer {
	if o, ok := m.upstream.Load(channel); ok {
		return o.(prometheus.Observer)
	}
	o, _ := m.upstream.LoadOrStore(channel, m.UpstreamLatency.WithLabelValues(channel))
	return o.(prometheus.Observer)
}

// Rejection returns the keygate_rejections_total counter of an error code.
func (m *Metrics) Rejection(code string) prometheus.Counter {
	if c, ok := m.rejections.Load(code); ok {
		return c.(prometheus.Counter)
	}
	c, _ := m.rejections.LoadOrStore(code, m.Rejections.WithLabelValues(code))
	return c.(prometheus.Counter)
}

// New registers the collectors; queueDepth and friends are read at scrape time.
func New(queueDepth, logWritten, logBackpressure func() float64) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keygate_requests_total", Help: "Requests answered, by route, model and status.",
		}, []string{"route", "model", "status"}),
		UpstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keygate_upstream_latency_seconds", Help: "Time from sending the upstream request to its response headers.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"channel"}),
		UpstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keygate_upstream_errors_total", Help: "Failed upstream attempts, by channel and reason.",
		}, []string{"channel", "reason"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "keygate_requests_in_flight", Help: "Requests being served now.",
		}),
		Rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keygate_rejections_total", Help: "Requests refused by the gateway, by error code.",
		}, []string{"code"}),
	}
	r.MustRegister(m.Requests, m.UpstreamLatency, m.UpstreamErrors, m.InFlight, m.Rejections,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "keygate_log_queue_depth", Help: "Request log rows waiting to be stored."}, queueDepth),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "keygate_log_rows_written_total", Help: "Request log rows stored."}, logWritten),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "keygate_log_backpressure_total", Help: "Request log writes that waited for a full queue."}, logBackpressure),
	)
	return m
}

// WatchLogDrops exports the count of request log rows the writer had to drop.
func (m *Metrics) WatchLogDrops(dropped func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "keygate_log_rows_dropped_total",
		Help: "Request log rows lost because the store stayed unavailable (never silently: each loss is also logged).",
	}, dropped))
}
