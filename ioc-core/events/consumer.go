package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// consumer reads the log after its durable cursor and hands matching events to its handler.
type consumer struct {
	name     string
	prefixes []string
	handle   Handler
	bus      *Bus
}

// maxAttempts is how often a failing event is tried before it goes to the dead letters,
// so that one bad event cannot stop a consumer for good.
const maxAttempts = 5

// handlerTimeout bounds one call of a handler.
const handlerTimeout = 30 * time.Second

// idleCursorSave is how often a consumer that only skips events writes its cursor.
const idleCursorSave = 5 * time.Second

type cursorDoc struct {
	Name string    `bson:"_id"`
	Seq  int64     `bson:"seq"`
	At   time.Time `bson:"at"`
}

func (c *consumer) run(ctx context.Context) error {
	pos, err := c.load(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}
	saved, savedAt := pos, time.Now()
	// A batch that delivered something moves the cursor at once; one that only skipped other
	// consumers' events moves it now and then, and at the stop: skipped events cost nothing
	// to read again, and every consumer would otherwise write its cursor on every batch.
	save := func(force bool) {
		if pos == saved || (!force && time.Since(savedAt) < idleCursorSave) {
			return
		}
		if err := c.save(context.WithoutCancel(ctx), pos); err != nil {
			c.bus.log.Error("event consumer cursor", "consumer", c.name, "err", err)
			return
		}
		saved, savedAt = pos, time.Now()
	}
	defer save(true)
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		woken := c.bus.appended.wait()
		evs, err := c.bus.Read(ctx, pos, 256, "")
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.bus.log.Error("event consumer read", "consumer", c.name, "err", err)
		}
		start, delivered := pos, false
		for _, ev := range evs {
			if c.matches(ev.Type) {
				if !c.deliver(ctx, ev) {
					break // stopping: this event is delivered again after the restart
				}
				delivered = true
			}
			pos = ev.Seq
		}
		if pos > start {
			save(delivered)
			if ctx.Err() == nil {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-woken:
		case <-t.C:
			save(false)
		}
	}
}

func (c *consumer) matches(typ string) bool {
	if len(c.prefixes) == 0 {
		return true
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

// deliver calls the handler until it succeeds, or records the event as a dead letter. It
// reports false when ctx ended first and the event was not handled.
func (c *consumer) deliver(ctx context.Context, ev Event) bool {
	var err error
	backoff := 50 * time.Millisecond
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if ctx.Err() != nil {
			return false
		}
		// A handler that started finishes even when the node is stopping: the stop is
		// noticed between events, so no write is cut off half-way and redone later.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
		err = c.handle(hctx, ev)
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	c.bus.log.Error("event handler failed, dead-lettered", "consumer", c.name, "event", ev.ID, "type", ev.Type, "err", err)
	_, derr := c.bus.st.C(deadLetterCollection).InsertOne(context.WithoutCancel(ctx), bson.M{
		"consumer": c.name, "event": ev.ID, "seq": ev.Seq, "type": ev.Type, "error": err.Error(), "at": time.Now().UTC()})
	if derr != nil {
		c.bus.log.Error("dead letter", "consumer", c.name, "err", derr)
	}
	return true
}

func (c *consumer) load(ctx context.Context) (int64, error) {
	var d cursorDoc
	err := c.bus.st.C(cursorCollection).FindOne(ctx, bson.M{"_id": c.name}).Decode(&d)
	if err != nil && !isNoDocs(err) {
		return 0, fmt.Errorf("load cursor %s: %w", c.name, err)
	}
	return d.Seq, nil
}

func (c *consumer) save(ctx context.Context, seq int64) error {
	_, err := c.bus.st.C(cursorCollection).UpdateOne(ctx, bson.M{"_id": c.name},
		bson.M{"$set": bson.M{"seq": seq, "at": time.Now().UTC()}}, options.UpdateOne().SetUpsert(true))
	return err
}
