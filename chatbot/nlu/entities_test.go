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
	tests := []struct {
		name, in string
		want     time.Time
	}{
		{"evening of yesterday", "tối qua lúc 9h", day(2026, 11, 20, 21, 0)},
		{"unaccented", "toi qua luc 9h", day(2026, 11, 20, 21, 0)},
		{"afternoon", "chiều nay khoảng 2 giờ", day(2026, 11, 21, 14, 0)},
		{"morning stays morning", "sáng nay 8 giờ", day(2026, 11, 21, 8, 0)},
		{"clock before the day", "8 giờ sáng hôm qua", day(2026, 11, 20, 8, 0)},
		{"date then clock", "25/11 lúc 8 giờ sáng", day(2026, 11, 25, 8, 0)},
		{"24-hour clock kept", "tối qua 21:30", day(2026, 11, 20, 21, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Extract(tt.in, refTime, nil).Times
			var clock *TimeMention
			for i := range got {
				if got[i].Kind == TimeClock {
					clock = &got[i]
				}
			}
			if clock == nil || !clock.Start.Equal(tt.want) {
				t.Errorf("times of %q = %+v, want a clock at %s", tt.in, got, tt.want)
			}
		})
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
		{"Ngô is no ngõ", "đường Ngô Quyền bị ngập", &Address{Street: "Ngô Quyền"}},
		{"Đằng is no đang", "đèn đường Bạch Đằng hỏng", &Address{Street: "Bạch Đằng"}},
		{"Thị is no thì", "đường Nguyễn Thị Minh Khai bị ngập", &Address{Street: "Nguyễn Thị Minh Khai"}},
		{"house number then đường Ngô Quyền", "số 12 đường Ngô Quyền", &Address{HouseNumber: "12", Street: "Ngô Quyền"}},
		{"capitalised number street", "Số 12 Ngô Quyền", &Address{HouseNumber: "12", Street: "Ngô Quyền"}},
		{"unaccented lower case after a number", "12 ngo quyen bi ngap", &Address{HouseNumber: "12", Street: "ngo quyen"}},
		{"unaccented after ở", "ở 45 le loi mat dien", &Address{HouseNumber: "45", Street: "le loi"}},
		{"unaccented name then accented words", "nhà 45 le loi mất điện", &Address{HouseNumber: "45", Street: "le loi"}},
		{"unaccented đang after one word", "duong bach dang bi ngap", &Address{Street: "bach dang"}},
		{"unaccented đang after two words", "duong tran phu dang ngap", &Address{Street: "tran phu"}},
		{"unaccented house and street", "nha so 7 duong bach dang", &Address{HouseNumber: "7", Street: "bach dang"}},
		{"capitalised name ends at lower case", "tối qua đường Lê Lợi mất điện", &Address{Street: "Lê Lợi"}},
		{"kiệt and capitalised street", "mặt đường kiệt 45 Hoàng Diệu bị sụt lún", &Address{Alley: "kiệt 45", Street: "Hoàng Diệu"}},
		{"kiet unaccented", "kiet 45 hoang dieu co o ga", &Address{Alley: "kiet 45", Street: "hoang dieu"}},
		{"hẻm with slash and Ngô", "hẻm 12/3 Ngô Quyền", &Address{Alley: "hẻm 12/3", Street: "Ngô Quyền"}},
		{"ngõ then unaccented ngo", "ngõ 8 ngo quyen", &Address{Alley: "ngõ 8", Street: "ngo quyen"}},
		{"ngõ then phố", "ngõ 5 phố Huế", &Address{Alley: "ngõ 5", Street: "Huế"}},
		{"date street, unaccented", "duong 30 thang 4 ngap", &Address{Street: "30 thang 4"}},
		{"date street, capitalised", "đường 2 Tháng 9 ngập", &Address{Street: "2 Tháng 9"}},
		{"a counted noun is no street", "ở 12 người bị thương", nil},
		{"days are no street", "3 ngày nay mất điện", nil},
		{"the word đường alone", "đường bị ngập", nil},
		{"capitalised name with an unmarked first syllable", "đường Thanh Bình bị ngập", &Address{Street: "Thanh Bình"}},
		{"lower-case name with an unmarked first syllable", "đường thanh bình bị ngập", &Address{Street: "thanh bình"}},
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
		{Code: "20194", Name: "Phường Hải Châu", Aliases: []string{"Hải Châu 1", "Hải Châu 2", "Phước Ninh"}},
		{Code: "20227", Name: "Phường Hòa Cường", Aliases: []string{"Hòa Cường Bắc", "Hòa Cường Nam", "Bình Hiên"}},
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
		{"old ward name, longest alias", "o phuong hoa cuong bac bi ngap", []UnitMatch{{Code: "20227", Name: "Phường Hòa Cường", Text: "hoa cuong bac", Alias: true}}},
		{"old ward name with a number", "nhà tôi ở phường Hải Châu 1", []UnitMatch{{Code: "20194", Name: "Phường Hải Châu", Text: "Hải Châu 1", Alias: true}}},
		{"typo in an old name", "p. Hoa Cuogn Bac mat dien", []UnitMatch{{Code: "20227", Name: "Phường Hòa Cường", Text: "Hoa Cuogn Bac", Alias: true, Fuzzy: true}}},
		{"old name, unaccented", "phuoc ninh bi ngap", []UnitMatch{{Code: "20194", Name: "Phường Hải Châu", Text: "phuoc ninh", Alias: true}}},
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
