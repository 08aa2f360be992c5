package jobs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keygate/keygate/internal/store"
)

// Collector exports keygate_jobs{state}: the generation jobs in each
// state, counted in the store when scraped (shared by every instance).
type Collector struct {
	Store interface {
		CountJobs(ctx context.Context) (map[string]int, error)
	}
}

var jobsDesc = prometheus.NewDesc("keygate_jobs", "Generation jobs (videos) by state, in the shared store.", []string{"state"}, nil)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := c.Store.CountJobs(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	for _, st := range []string{store.JobSubmitting, store.JobQueued, store.JobInProgress, store.JobCompleted, store.JobFailed, store.JobCancelled} {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n[st]), st)
	}
}
