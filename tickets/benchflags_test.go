package tickets_test

import "flag"

var (
	benchOps      int
	benchTickets  int
	benchCrossing int
	benchWire     bool
	benchReload   bool
	benchIn       bool
)

func init() {
	flag.IntVar(&benchOps, "bench.ops", 3000, "operations of BenchmarkCreateVsInsert per side")
	flag.IntVar(&benchCrossing, "bench.crossing", 100, "tickets of BenchmarkSweep whose deadline has crossed")
	flag.BoolVar(&benchWire, "bench.wire", false, "BenchmarkCreateVsInsert: count the store commands through a proxy (a FerretDB behind a URI, not the embedded one)")
	flag.BoolVar(&benchReload, "bench.reload", true, "list and sweep benchmarks: time a second load of the index after the restart")
	flag.BoolVar(&benchIn, "bench.in", false, "BenchmarkListByDepartmentStatus: first time one find of a page's tickets by _id $in")
	flag.IntVar(&benchTickets, "bench.tickets", 200000, "tickets in the store for the list and sweep benchmarks")
}
