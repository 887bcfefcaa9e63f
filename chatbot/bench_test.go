package chatbot

import (
	"context"
	"fmt"
	"testing"

	"github.com/ioc1022/ioc1022/ioc-core/apptest"
	"github.com/ioc1022/ioc1022/omnichannel"
)

// BenchmarkBotTurn is one whole bot turn on a node with the embedded store: load the
// conversation's dialogue state, classify, extract entities against the gazetteer, decide,
// save the state with its version check. Each iteration is the first message of a new
// conversation describing a report (the heaviest first turn: classification twice,
// extraction, a category name lookup).
func BenchmarkBotTurn(b *testing.B) {
	cfg := apptest.Config(b)
	_, bot := boot(b, cfg)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		conv := &omnichannel.Conversation{ID: fmt.Sprintf("bench-%d", i), Channel: omnichannel.ChannelWeb}
		msg := &omnichannel.Message{ID: conv.ID + ":1", Direction: omnichannel.DirIn, Kind: omnichannel.KindText,
			Text: "Đèn đường trước số 12 Trần Phú phường Hải Châu bị hỏng từ tối qua"}
		r, err := bot.Handle(ctx, conv, msg)
		if err != nil || len(r.Texts) != 1 {
			b.Fatalf("turn: %+v %v", r, err)
		}
	}
}
