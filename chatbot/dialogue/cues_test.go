package dialogue

import (
	"slices"
	"testing"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
)

func cueOf(s string) cueText { return cueTextOf(nlu.Normalize(s)) }

func TestCues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text                    string
		cancel, agent, anger, reports bool
	}{
		{name: "hủy accented", text: "Thôi hủy đi", cancel: true},
		{name: "huy alone", text: "huy", cancel: true},
		{name: "Huy in a street name", text: "ở đường Nguyễn Huy Tưởng có ổ gà rất to"},
		{name: "no longer needed", text: "khong can nua dau", cancel: true},
		{name: "agent unaccented", text: "cho toi gap nhan vien", agent: true},
		{name: "agent accented", text: "Tôi muốn nói chuyện với người thật", agent: true},
		{name: "anger", text: "lam an kieu gi vay", anger: true},
		{name: "report wording", text: "cho em gửi phản ánh ạ", reports: true},
		{name: "status wording", text: "phản ánh tôi đã gửi xử lý đến đâu rồi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cueOf(tc.text)
			if got := isCancel(tc.text, c); got != tc.cancel {
				t.Errorf("cancel = %v", got)
			}
			if got := c.has(agentCues); got != tc.agent {
				t.Errorf("agent = %v", got)
			}
			if got := c.has(angerCues); got != tc.anger {
				t.Errorf("anger = %v", got)
			}
			if got := wantsReport(c); got != tc.reports {
				t.Errorf("report = %v", got)
			}
		})
	}
}

func TestEmergencyNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"nhà bên cạnh đang cháy", []string{"114"}},
		{"nha ben canh dang boc chay", []string{"114"}},
		{"co nguoi bat tinh can cap cuu", []string{"115"}},
		{"có cướp đang chạy về phía chợ", []string{"113"}},
		{"tai nạn giao thông ở ngã tư", []string{"115", "113"}},
		{"cứu với", []string{"114", "115", "113"}},
		{"xe chay nhanh qua dam nguoi", []string{"113"}},
	} {
		if got := emergencyNumbers(tc.text, cueOf(tc.text)); !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestFindCodeAndDigits(t *testing.T) {
	t.Parallel()
	e := &Engine{CodePrefix: "PA"}
	// PA7K3M9Q + check character computed by the ticket engine's rule.
	code := validCode(t)
	for _, tc := range []struct{ name, text, want, bad string }{
		{"plain", "tra cứu phiếu " + code, code, ""},
		{"spaced", "mã " + code[:2] + " " + code[2:5] + " " + code[5:8] + " " + code[8:], code, ""},
		{"dashed lower", "ma phieu " + lower(code[:2]+"-"+code[2:8]+"-"+code[8:]), code, ""},
		{"wrong check", "phiếu " + code[:8] + other(code[8]), "", code[:8] + other(code[8])},
		{"none", "phản ánh của tôi đến đâu rồi", "", ""},
		{"phone is no code", "số 0905123456", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := e.findCode(tc.text)
			if string(got) != tc.want || bad != tc.bad {
				t.Fatalf("findCode(%q) = %q, %q; want %q, %q", tc.text, got, bad, tc.want, tc.bad)
			}
		})
	}
	for _, tc := range []struct {
		text, want string
		ok         bool
	}{
		{"5678", "5678", true}, {"4 số cuối là 5678 ạ", "5678", true}, {"0905 123 456", "3456", true},
		{"56789", "", false}, {"không nhớ", "", true},
	} {
		if got, ok := last4Of(tc.text); got != tc.want || ok != tc.ok {
			t.Errorf("last4Of(%q) = %q, %v", tc.text, got, ok)
		}
	}
}
