package dialogue

import (
	"regexp"
	"strings"

	"github.com/ioc1022/ioc1022/chatbot/nlu"
)

// Cues are phrases matched on the folded, normalised text padded with spaces, so that
// " gap nhan vien " matches whole words only, typed with or without diacritics.

var agentCues = []string{"gap nhan vien", "gap tong dai vien", "tong dai vien", "gap nguoi that", "nguoi that",
	"noi chuyen voi nguoi", "noi chuyen voi nhan vien", "chuyen nhan vien", "chuyen cho nhan vien", "gap can bo",
	"tu van vien", "nhan vien tu van", "gap truc tiep", "gap nguoi", "can nguoi ho tro"}

var angerCues = []string{"buc minh", "buc qua", "qua buc", "tuc qua", "tuc chet", "vo trach nhiem", "lam an kieu gi",
	"lam an nhu", "qua te", "te qua", "chan qua", "lua dao", "do ngu", "ngu the", "ngu vay", "vo dung", "vcl", "vkl",
	"dm", "dmm", "dcm", "me kiep", "bot ngu", "may ngu", "phan no", "khong chap nhan duoc", "thai do gi", "coi thuong dan"}

// reportCues say in so many words that the citizen wants to report something new, which
// the classifier, trained mostly on reports that describe the problem, may read as a status
// question; statusCues say the report was made already.
var (
	reportCues = []string{"gui phan anh", "muon phan anh", "can phan anh", "xin phan anh", "phan anh viec", "phan anh ve",
		"phan anh mot", "gui kien nghi", "muon kien nghi", "kien nghi ve", "bao cao su viec", "bao su viec"}
	statusCues = []string{"tra cuu", "ket qua", "tien do", "da gui", "den dau", "ma phieu", "xu ly chua", "sao roi",
		"xu ly den", "chua duoc xu ly", "chua xu ly"}
)

// wantsReport reports whether the message asks to make a new report.
func wantsReport(t cueText) bool {
	return (t.has(reportCues) || t.is([]string{"phan anh", "kien nghi", "gui phan anh"})) && !t.has(statusCues)
}

var cancelCues = []string{"huy bo", "huy phan anh", "huy yeu cau", "thoi khong gui", "thoi khong can", "khong can nua",
	"khong gui nua", "dung lai", "thoi bo qua", "bo qua di"}

var yesCues = []string{"dung", "dung roi", "dung vay", "chinh xac", "dong y", "xac nhan", "ok", "oke", "okay", "vang",
	"u", "uh", "da dung", "co", "gui", "gui di", "duoc", "duoc roi", "dung a", "vang a", "da", "chuan", "yes"}

var noCues = []string{"khong", "sai", "chua dung", "khong dung", "khong phai", "chua", "nham", "sai roi"}

var correctionCues = []string{"khong phai", "nham", "sai roi", "sua lai", "sua thanh", "doi thanh", "chu khong phai", "ghi lai"}

var unknownCues = []string{"khong nho", "khong ro", "khong biet", "chua ro", "khong chac"}

// Emergency services and the cues that call for them.
var (
	fireCues = []string{"hoa hoan", "boc chay", "dang chay", "chay nha", "chay lon", "dam chay", "bi chay", "chay roi",
		"khoi", "cuu hoa", "no binh", "phat no", "vu no", "duoi nuoc", "chet duoi", "mac ket", "ket trong", "sap nha", "cuu nan"}
	medicalCues = []string{"cap cuu", "bat tinh", "ngat", "ngat xiu", "dot quy", "kho tho", "co giat", "chay mau",
		"bi thuong", "ngo doc", "dau tim", "tai nan", "hon me", "sinh gap", "tu tu"}
	policeCues = []string{"cuop", "trom", "danh nhau", "dam nguoi", "dam chem", "chem", "sung", "bat coc", "hanh hung",
		"de doa", "giet", "tai nan", "dua xe", "dot nhap", "an cuop", "cuop giat", "danh ghen", "bao luc"}
)

// emergencyTriggers are cues that make a message an emergency whatever the classifier says.
var emergencyTriggers = []string{"hoa hoan", "boc chay", "dang chay", "chay nha", "chay lon", "cap cuu", "bat tinh",
	"dot quy", "duoi nuoc", "dam chem", "dang danh nhau", "an cuop", "bat coc", "dang cuop"}

// cueText is the folded form that cues are matched against.
type cueText string

func cueTextOf(n nlu.Normalized) cueText { return cueText(" " + n.Folded + " ") }

func (t cueText) has(cues []string) bool {
	for _, c := range cues {
		if strings.Contains(string(t), " "+c+" ") {
			return true
		}
	}
	return false
}

// is reports whether the whole message is one of cues (ignoring "ạ", "nhé", punctuation).
func (t cueText) is(cues []string) bool {
	s := strings.TrimSpace(string(t))
	for _, tail := range []string{" a", " nhe", " nha", " ak", " ah", " !", " ?"} {
		s = strings.TrimSuffix(s, tail)
	}
	for _, c := range cues {
		if s == c {
			return true
		}
	}
	return false
}

// isCancel reports whether the citizen gives up what is under way. "hủy" counts when
// written with its accent or when it is nearly the whole message: "Huy" is also a name.
func isCancel(text string, t cueText) bool {
	if t.has(cancelCues) {
		return true
	}
	low := " " + strings.ToLower(text) + " "
	for _, w := range []string{"hủy", "huỷ"} {
		if strings.Contains(low, w) {
			return true
		}
	}
	return len(strings.Fields(string(t))) <= 3 && t.has([]string{"huy", "thoi"})
}

// hasFire reports a fire or rescue. Folded "chay" is both cháy (fire) and chạy (run), so
// the folded cues with it count only in text typed without diacritics; accented text
// says "cháy".
func (t cueText) hasFire(text string) bool {
	if strings.Contains(strings.ToLower(text), "cháy") {
		return true
	}
	for _, c := range fireCues {
		if strings.Contains(" "+c+" ", " chay ") && !typedWithoutAccents(text) {
			continue
		}
		if t.has([]string{c}) {
			return true
		}
	}
	return false
}

// typedWithoutAccents reports whether text has no Vietnamese diacritics at all.
func typedWithoutAccents(text string) bool { return nlu.Fold(text) == text }

// isEmergencyCue reports a message that is an emergency whatever the classifier says.
func (t cueText) isEmergencyCue(text string) bool {
	for _, c := range emergencyTriggers {
		if strings.Contains(" "+c+" ", " chay ") && !typedWithoutAccents(text) {
			continue
		}
		if t.has([]string{c}) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(text), "đang cháy") || strings.Contains(strings.ToLower(text), "bốc cháy")
}

// emergencyNumbers chooses the numbers to give: 114 fire and rescue, 115 medical, 113
// police; all three when the message says nothing more precise.
func emergencyNumbers(text string, t cueText) []string {
	var out []string
	fire := t.hasFire(text)
	if fire {
		out = append(out, "114")
	}
	if t.has(medicalCues) {
		out = append(out, "115")
	}
	if t.has(policeCues) {
		out = append(out, "113")
	}
	if len(out) == 0 {
		out = []string{"114", "115", "113"}
	}
	return out
}

// last4Pattern finds four digits standing alone.
var last4Pattern = regexp.MustCompile(`(?:^|\D)(\d{4})(?:\D|$)`)
