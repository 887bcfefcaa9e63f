package tickets

import (
	"context"
	"sync"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// One create or action needs the ticket's category up to four times (validation, routing,
// the answer and the acceptance deadlines). An operation reads it once: Create and Act put a
// categoryMemo in their context and m.category answers from it. The memo lives as long as the
// operation, so an administrator's edit of a category applies to the next one.

type categoryMemoKey struct{}

// categoryMemo holds the categories one operation has read. It is safe for concurrent use.
type categoryMemo struct {
	mu  sync.Mutex
	got map[string]*refdata.Category
}

// withCategoryMemo returns ctx with an empty memo, for one operation.
func withCategoryMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, categoryMemoKey{}, &categoryMemo{got: map[string]*refdata.Category{}})
}

// category returns a category from the operation's memo, reading it from the reference data
// the first time (and every time when ctx has no memo). Errors are not remembered.
func (m *Module) category(ctx context.Context, code string) (*refdata.Category, error) {
	memo, _ := ctx.Value(categoryMemoKey{}).(*categoryMemo)
	if memo == nil {
		return m.core.Ref.Category(ctx, code)
	}
	memo.mu.Lock()
	defer memo.mu.Unlock()
	if c, ok := memo.got[code]; ok {
		return c, nil
	}
	c, err := m.core.Ref.Category(ctx, code)
	if err != nil {
		return nil, err
	}
	memo.got[code] = c
	return c, nil
}
