package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rollcall/rollcall/internal/version"
)

// metrics are the server's Prometheus collectors, in a registry of its own
// so that several servers in one test process do not collide.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	rejected *prometheus.CounterVec

	// series caches each (route, method, status)'s counter and histogram,
	// so that a request costs two atomic adds instead of hashing its
	// labels into both vectors. Routes are patterns, methods and statuses
	// few, so it stays small.
	series sync.Map // seriesKey → *requestSeries
}

type seriesKey struct {
	route, method string
	status        int
}

type requestSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rollcall_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_http_rejected_total",
			Help: "API requests refused before reaching a handler, by reason (unauthorized, auth_failures, rate_limited).",
		}, []string{"reason"}),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rollcall_build_info",
		Help: "Always 1; the version label is the running server's version.",
	}, []string{"version"})
	buildInfo.WithLabelValues(version.Version()).Set(1)
	m.registry.MustRegister(m.requests, m.latency, m.rejected, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchReadAdmission exports how many API reads wait for their turn (see
// readAdmission); it stays 0 on PostgreSQL, where reads are not limited.
func (m *metrics) watchReadAdmission(a *readAdmission) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rollcall_api_reads_waiting",
		Help: "API reads (GET) waiting for their turn: on SQLite at most one per CPU runs at a time, the others wait in arrival order.",
	}, func() float64 { return float64(a.Waiting()) }))
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	k := seriesKey{route, method, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, &requestSeries{
			requests: m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route, method),
		})
	}
	rs := v.(*requestSeries)
	rs.requests.Inc()
	rs.latency.Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
