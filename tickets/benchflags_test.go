package tickets_test

import "flag"

var (
	benchOps     int
	benchTickets int
)

func init() {
	flag.IntVar(&benchOps, "bench.ops", 3000, "operations of BenchmarkCreateVsInsert per side")
	flag.IntVar(&benchTickets, "bench.tickets", 200000, "tickets in the store for the list and sweep benchmarks")
}
