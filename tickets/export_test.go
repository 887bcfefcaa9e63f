package tickets

// SkipMergeCompletion makes merges leave the master's side to the ticket.merged consumer,
// as when the process stops between the two writes.
func SkipMergeCompletion(skip bool) { skipMergeCompletion.Store(skip) }
