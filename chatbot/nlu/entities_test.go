package nlu

import (
	"reflect"
	"testing"
	"time"
)

// refTime is Saturday 21 November 2026, 15:00 in Vietnam.
var refTime = time.Date(2026, 11, 21, 15, 0, 0, 0, vietnam)

func day(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, vietnam)
}

func TestExtractTicketCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []TicketCode
	}{
		{"plain", "mã PA123456 đến đâu rồi", []TicketCode{"PA123456"}},
		{"hyphen", "hồ sơ PA-204518", []TicketCode{"PA204518"}},
		{"spaces", "phiếu PA 771 203", []TicketCode{"PA771203"}},
		{"lower case attached", "pa193847 xử lý chưa", []TicketCode{"PA193847"}},
		{"hotline number prefix", "mã 1022-004871", []TicketCode{"1022004871"}},
		{"lower case word with spaces is no code", "số 123 456", nil},
		{"duplicates once", "PA123456 và PA-123456", []TicketCode{"PA123456"}},
		{"too few digits", "PA12345", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Extract(tt.in, refTime, nil).TicketCodes; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("codes of %q = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtractPhonesAndEmails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in      string
		phones, email []string
	}{
		{"mobile with dots", "gọi 0912.345.678 nhé", []string{"0912345678"}, nil},
		{"+84 with spaces", "số +84 905 123 456", []string{"0905123456"}, nil},
		{"84 prefix", "84912345678", []string{"0912345678"}, nil},
		{"landline", "máy bàn 028 3822 1234", []string{"02838221234"}, nil},
		{"not a mobile prefix", "0112345678", nil, nil},
		{"ticket code is no phone", "mã 1022-123456", nil, nil},
		{"email lower-cased", "mail Nguyen.An@Gmail.COM nhé", nil, []string{"nguyen.an@gmail.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := Extract(tt.in, refTime, nil)
			if !reflect.DeepEqual(e.Phones, tt.phones) || !reflect.DeepEqual(e.Emails, tt.email) {
				t.Errorf("Extract(%q) phones %v emails %v, want %v %v", tt.in, e.Phones, e.Emails, tt.phones, tt.email)
			}
		})
	}
}

func TestExtractTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in   string
		kind       TimeKind
		start, end time.Time
	}{
		{"hôm qua", "hôm qua mất điện", TimeDay, day(2026, 11, 20, 0, 0), day(2026, 11, 21, 0, 0)},
		{"unaccented hom qua", "hom qua mat dien", TimeDay, day(2026, 11, 20, 0, 0), day(2026, 11, 21, 0, 0)},
		{"ngày mai", "ngày mai cúp nước", TimeDay, day(2026, 11, 22, 0, 0), day(2026, 11, 23, 0, 0)},
		{"sáng nay", "sáng nay", TimePartOfDay, day(2026, 11, 21, 5, 0), day(2026, 11, 21, 11, 0)},
		{"tối qua", "tối qua ồn quá", TimePartOfDay, day(2026, 11, 20, 18, 0), day(2026, 11, 20, 22, 0)},
		{"đêm qua runs past midnight", "đêm qua", TimePartOfDay, day(2026, 11, 20, 22, 0), day(2026, 11, 21, 5, 0)},
		{"date this year", "ngày 25/10", TimeDay, day(2026, 10, 25, 0, 0), day(2026, 10, 26, 0, 0)},
		{"date far ahead is last year", "hôm 25/12", TimeDay, day(2025, 12, 25, 0, 0), day(2025, 12, 26, 0, 0)},
		{"full date", "25/11/2026", TimeDay, day(2026, 11, 25, 0, 0), day(2026, 11, 26, 0, 0)},
		{"written date", "ngày 5 tháng 10 năm 2025", TimeDay, day(2025, 10, 5, 0, 0), day(2025, 10, 6, 0, 0)},
		{"clock", "lúc 8h30", TimeClock, day(2026, 11, 21, 8, 30), day(2026, 11, 21, 8, 31)},
		{"clock in the evening", "8 giờ tối", TimeClock, day(2026, 11, 21, 20, 0), day(2026, 11, 21, 20, 1)},
		{"clock with colon", "20:15", TimeClock, day(2026, 11, 21, 20, 15), day(2026, 11, 21, 20, 16)},
		{"half past, yesterday", "9 giờ rưỡi tối qua", TimeClock, day(2026, 11, 20, 21, 30), day(2026, 11, 20, 21, 31)},
		{"invalid date ignored, no mention", "31/2", "", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Extract(tt.in, refTime, nil).Times
			if tt.kind == "" {
				if len(got) != 0 {
					t.Errorf("times of %q = %+v, want none", tt.in, got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("no time in %q", tt.in)
			}
			m := got[len(got)-1]
			if m.Kind != tt.kind || !m.Start.Equal(tt.start) || !m.End.Equal(tt.end) {
				t.Errorf("time of %q = %s %s..%s, want %s %s..%s", tt.in, m.Kind, m.Start, m.End, tt.kind, tt.start, tt.end)
			}
		})
	}
}

func TestExtractClockTakesTheDayMentioned(t *testing.T) {
	t.Parallel()
	got := Extract("tối qua lúc 9h", refTime, nil).Times
	if len(got) != 2 || !got[1].Start.Equal(day(2026, 11, 20, 9, 0)) {
		t.Errorf("times = %+v, want the clock on the 20th", got)
	}
}

func TestExtractAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     *Address
	}{
		{"house and street", "nhà số 12 đường Trần Phú bị ngập", &Address{HouseNumber: "12", Street: "Trần Phú"}},
		{"number then capitalised name", "ở 12 Tran Phu", &Address{HouseNumber: "12", Street: "Tran Phu"}},
		{"alley and street", "hẻm 45 Lê Lợi", &Address{Alley: "hẻm 45", Street: "Lê Lợi"}},
		{"alley only", "trong hẻm 45 bị ngập", &Address{Alley: "hẻm 45"}},
		{"kiệt and street", "kiệt 34 đường Hùng Vương, phường Phú Hội", &Address{Alley: "kiệt 34", Street: "Hùng Vương"}},
		{"street with a date name", "đường 30 tháng 4 ngập", &Address{Street: "30 tháng 4"}},
		{"slash house number", "số nhà 45/3B", &Address{HouseNumber: "45/3B"}},
		{"phone after số is no house", "số 0905 123 456", nil},
		{"nothing", "mất điện cả ngày", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Extract(tt.in, refTime, nil).Address; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("address of %q = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtractUnits(t *testing.T) {
	t.Parallel()
	units := []Unit{
		{Code: "26734", Name: "Phường Bến Nghé", Aliases: []string{"Phường Bến Thành cũ"}},
		{Code: "20194", Name: "Xã Hòa Phong"},
		{Code: "20200", Name: "Phường Thạch Thang"},
		{Code: "20300", Name: "Phường An Phú"},
	}
	tests := []struct {
		name, in string
		want     []UnitMatch
	}{
		{"exact with accents", "ở phường Bến Nghé", []UnitMatch{{Code: "26734", Name: "Phường Bến Nghé", Text: "Bến Nghé"}}},
		{"without accents", "o phuong ben nghe", []UnitMatch{{Code: "26734", Name: "Phường Bến Nghé", Text: "ben nghe"}}},
		{"old name via alias", "bên phường Bến Thành cũ", []UnitMatch{{Code: "26734", Name: "Phường Bến Nghé", Text: "Bến Thành cũ", Alias: true}}},
		{"typo in a long word", "xã hòa phogn", []UnitMatch{{Code: "20194", Name: "Xã Hòa Phong", Text: "hòa phogn", Fuzzy: true}}},
		{"typo substitution", "thach thanh", []UnitMatch{{Code: "20200", Name: "Phường Thạch Thang", Text: "thach thanh", Fuzzy: true}}},
		{"short words need exact", "an phi", nil},
		{"street of the same name", "đường An Phú", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Extract(tt.in, refTime, units).Units; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("units of %q = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"hồ sơ PA-123456 gọi lại 0905 123 456 lúc 8h30 tối qua số 12 đường Trần Phú phường Bến Nghé",
		"25/11/2026 31/2 99:99 ngày 40 tháng 13", "+84 +84 84 0 0 0", "a@b.cc @@", "số số đường đường hẻm",
		"\xff\xfe", "1022-1022-1022",
	} {
		f.Add(s)
	}
	units := []Unit{{Code: "1", Name: "Phường Bến Nghé", Aliases: []string{"P. 1"}}, {Code: "2", Name: ""}}
	f.Fuzz(func(t *testing.T, s string) {
		e := Extract(s, refTime, units)
		for _, c := range e.TicketCodes {
			if !TicketCodePattern.MatchString(string(c)) {
				t.Errorf("code %q does not match the pattern", c)
			}
		}
		for _, p := range e.Phones {
			if len(p) < 10 || p[0] != '0' {
				t.Errorf("phone %q not normalised", p)
			}
		}
		for _, m := range e.Times {
			if m.End.Before(m.Start) {
				t.Errorf("time %+v ends before it starts", m)
			}
		}
	})
}
