package nlu

import (
	"strings"
	"unicode"
)

// abbreviations maps teen-code, chat shorthand and administrative acronyms
// (lower case, as typed) to their full Vietnamese words. Entries are looked
// up on the exact token, so "hẻm" (alley) never collides with "hem" (không).
var abbreviations = map[string]string{
	// negation
	"ko": "không", "k": "không", "kh": "không", "hok": "không",
	"hông": "không", "hem": "không", "khum": "không",
	"hk": "không", "kô": "không", "khg": "không",
	// được
	"dc": "được", "đc": "được", "dk": "được", "đk": "được",
	"đươc": "được",
	// question words and particles
	"j": "gì", "ji": "gì", "dzì": "gì",
	"z": "vậy", "v": "vậy", "zậy": "vậy", "dzậy": "vậy", "zay": "vậy", "dzay": "vậy",
	"ntn": "như thế nào", "tn": "thế nào", "bn": "bao nhiêu", "bnhiu": "bao nhiêu", "nhiu": "nhiêu",
	"r": "rồi", "ròi": "rồi", "rùi": "rồi", "roai": "rồi", "thui": "thôi",
	"ak": "à", "ạk": "ạ", "uk": "ừ", "uh": "ừ", "uhm": "ừ",
	// people
	"ng": "người", "ngta": "người ta", "mn": "mọi người", "mng": "mọi người",
	"mk": "mình", "mik": "mình", "mjk": "mình", "mh": "mình", "t": "tôi", "e": "em",
	"b": "bạn", "bro": "bạn", "ad": "admin", "ae": "anh em", "ck": "chồng", "vk": "vợ",
	"cb": "cán bộ", "nv": "nhân viên", "tđv": "tổng đài viên", "tdv": "tổng đài viên",
	"gv": "giáo viên", "sv": "sinh viên", "bs": "bác sĩ", "bv": "bệnh viện", "gđ": "gia đình",
	// verbs and adverbs
	"lm": "làm", "bik": "biết", "bít": "biết", "bjk": "biết", "ns": "nói", "ntin": "nhắn tin",
	"đag": "đang", "dag": "đang", "ms": "mới", "trc": "trước", "wa": "qua", "wá": "quá",
	"nhìu": "nhiều", "cx": "cũng", "cg": "cũng", "vs": "với", "zô": "vào", "dô": "vào",
	"tks": "cảm ơn", "thks": "cảm ơn", "thx": "cảm ơn", "cám": "cảm", "camon": "cảm ơn",
	"oke": "ok", "okie": "ok", "oki": "ok", "okê": "ok", "okela": "ok", "okay": "ok",
	"kq": "kết quả", "tg": "thời gian", "ttin": "thông tin",
	// administrative acronyms
	"sdt": "số điện thoại", "sđt": "số điện thoại", "đt": "điện thoại", "dt": "điện thoại",
	"cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân", "cmt": "chứng minh thư",
	"ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "bhyt": "bảo hiểm y tế",
	"bhxh": "bảo hiểm xã hội", "bhtn": "bảo hiểm thất nghiệp", "gplx": "giấy phép lái xe",
	"gpxd": "giấy phép xây dựng", "gcn": "giấy chứng nhận", "qsdđ": "quyền sử dụng đất",
	"qsdd": "quyền sử dụng đất", "đkkd": "đăng ký kinh doanh", "dkkd": "đăng ký kinh doanh",
	"mst": "mã số thuế", "kcn": "khu công nghiệp", "thpt": "trung học phổ thông",
	"thcs": "trung học cơ sở", "tdp": "tổ dân phố", "tp": "thành phố", "tx": "thị xã",
	"csgt": "cảnh sát giao thông", "pccc": "phòng cháy chữa cháy", "atgt": "an toàn giao thông",
	"cskv": "cảnh sát khu vực", "dvc": "dịch vụ công", "vn": "việt nam",
	"hcm": "hồ chí minh", "tphcm": "thành phố hồ chí minh",
}

// expandAbbreviation returns the words token i of toks stands for. A few
// shorthands are ambiguous next to numbers ("hem 45" is an alley, "50 k"
// is fifty thousand), so they are expanded only away from digits.
func expandAbbreviation(toks []string, i int, tok string) []string {
	full, ok := abbreviations[tok]
	if !ok {
		return []string{tok}
	}
	nextIsNumber := i+1 < len(toks) && startsWithDigit(toks[i+1])
	prevIsNumber := i > 0 && startsWithDigit(toks[i-1])
	switch tok {
	case "hem", "t":
		if nextIsNumber {
			return []string{tok}
		}
	case "k":
		if prevIsNumber {
			return []string{"nghìn"}
		}
	case "v", "e", "b", "r", "z":
		if prevIsNumber || nextIsNumber {
			return []string{tok}
		}
	}
	return strings.Fields(full)
}

func startsWithDigit(s string) bool {
	for _, r := range s {
		return unicode.IsDigit(r)
	}
	return false
}
