package pbx

import (
	"path/filepath"
	"time"
)

// RecordingPart says who is on the recording's right channel from FromS seconds into it: the
// recording of a call goes on across transfers, one part per bridge (the caller is always on
// the left channel).
type RecordingPart struct {
	Party string  `bson:"party" json:"party"` // the agent's username, or the outside number
	Kind  string  `bson:"kind" json:"kind"`   // agent or number
	FromS float64 `bson:"from_s" json:"from_s"`
}

// recordWith returns the recorder for the call's next bridge, with party on the right channel:
// the call's recording goes on when it has one; else one starts when want is set (the queue
// records its calls); else nil. Called by the call's goroutine only.
func (c *call) recordWith(party, kind string, want bool) *wavRecorder {
	c.mu.Lock()
	rec := c.recorder
	c.mu.Unlock()
	if rec == nil {
		if !want {
			return nil
		}
		rel := filepath.Join("recordings", string(c.rec.ID)+".wav")
		var err error
		if rec, err = newWAVRecorder(filepath.Join(c.m.dataDir, rel), 2); err != nil {
			c.m.log.Warn("recording", "call", c.rec.ID, "err", err)
			return nil
		}
		c.mu.Lock()
		c.recorder, c.rec.Recording = rec, rel
		c.mu.Unlock()
	}
	at := rec.mark()
	c.mu.Lock()
	c.rec.RecordingParts = append(c.rec.RecordingParts, RecordingPart{Party: party, Kind: kind, FromS: at})
	c.mu.Unlock()
	return rec
}

// closeRecordingLocked finishes the call's recording, if any, and keeps its length (c.mu held).
func (c *call) closeRecordingLocked() {
	if c.recorder == nil {
		return
	}
	secs, err := c.recorder.close()
	if err != nil {
		c.m.log.Warn("recording", "call", c.rec.ID, "err", err)
	}
	c.rec.RecordingS = seconds(time.Duration(secs * float64(time.Second)))
	c.recorder = nil
}
