package delivery

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the worker's Prometheus collectors.
type metrics struct {
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	pending  prometheus.Gauge
	inFlight prometheus.Gauge
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	m := &metrics{}
	var err error
	if m.attempts, err = register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tadamun_delivery_attempts_total",
		Help: "Delivery attempts, by outcome: delivered, retry (failed, to be tried again), failed (given up).",
	}, []string{"outcome"})); err != nil {
		return nil, err
	}
	for _, o := range []outcome{outcomeDelivered, outcomeRetry, outcomeFailed} {
		m.attempts.WithLabelValues(string(o)) // present from the start, at zero
	}
	if m.duration, err = register(r, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tadamun_delivery_duration_seconds",
		Help:    "Time taken by one delivery POST, signing included, whatever its outcome.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	})); err != nil {
		return nil, err
	}
	if m.pending, err = register(r, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tadamun_delivery_queue_pending",
		Help: "Deliveries not yet delivered nor given up, in the whole database (refreshed every 10s).",
	})); err != nil {
		return nil, err
	}
	if m.inFlight, err = register(r, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tadamun_delivery_in_flight",
		Help: "Delivery POSTs under way in this process.",
	})); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name (a second Worker on one registry shares the first one's).
func register[C prometheus.Collector](r prometheus.Registerer, c C) (C, error) {
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// refreshQueueGauge reads the queue's size into the pending gauge.
func (w *Worker) refreshQueueGauge(ctx context.Context) {
	st, err := w.store.DeliveryStats(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("delivery stats", slog.String("err", err.Error()))
		}
		return
	}
	w.m.pending.Set(float64(st.Pending))
}
