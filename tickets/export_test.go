package tickets

import "context"

// SkipMergeCompletion makes merges leave the master's side to the ticket.merged consumer,
// as when the process stops between the two writes.
func SkipMergeCompletion(skip bool) { skipMergeCompletion.Store(skip) }

// ReloadIndex loads a fresh in-memory index from the store, as Init does at start, and
// reports how many tickets it holds. Benchmarks time it.
func (m *Module) ReloadIndex(ctx context.Context) (int, error) {
	x := newMemIndex(m.coll)
	if err := x.load(ctx); err != nil {
		return 0, err
	}
	return len(x.byCode), nil
}
