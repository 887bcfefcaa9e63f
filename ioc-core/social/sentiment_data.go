package social

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	mrand "math/rand/v2"
	"strings"

	"github.com/ioc1022/ioc1022/ioc-core/refdata"
)

// Sentiment labels.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Sentiments lists the labels in the order of the model's output layer.
var Sentiments = []string{Negative, Neutral, Positive}

// SentimentExample is one labelled sentence of the sentiment dataset.
type SentimentExample struct {
	Label string
	Text  string
}

// The phrase banks of the generated dataset: what Vietnamese citizens write about public
// services on news sites and social networks. A phrase whose hash falls in the held-out
// share appears only in the held-out split, so the split measures generalisation to
// wordings the model never saw, not recall of its training sentences.
var (
	sentSubjects = []string{
		"đường Nguyễn Văn Linh", "cầu Rồng", "đường Điện Biên Phủ", "khu dân cư Hòa Xuân", "chợ Hàn", "chợ Cồn",
		"bệnh viện Đà Nẵng", "trạm y tế phường", "bệnh viện C", "UBND phường Hải Châu", "UBND phường Thanh Khê",
		"bộ phận một cửa", "Trung tâm hành chính công", "cổng dịch vụ công", "tổng đài 1022", "công ty cấp nước",
		"điện lực", "tuyến xe buýt số 5", "trường tiểu học Lê Lợi", "trường mầm non", "hệ thống thoát nước",
		"đèn đường kiệt 45", "công viên Biển Đông", "bãi biển Mỹ Khê", "khu công nghiệp Hòa Khánh", "công an phường",
		"đội thu gom rác", "cán bộ địa chính", "bảo hiểm xã hội", "phòng khám đa khoa", "khu chung cư", "kiệt 120 Hoàng Diệu",
		"đường Trần Cao Vân", "phường Sơn Trà", "xã Hòa Vang", "sân bay", "bến xe trung tâm", "ứng dụng Danang Smartcity",
	}
	sentNegative = []string{
		"ngập sâu sau mỗi trận mưa", "xuống cấp nghiêm trọng", "bốc mùi hôi thối", "làm việc quá chậm", "thái độ rất tệ",
		"gọi mãi không ai nghe máy", "mất điện liên tục", "nước đục có mùi lạ", "hẹn lần hẹn lữa", "ổ gà khắp nơi",
		"kẹt xe kinh khủng", "rác chất đống mấy ngày chưa thu gom", "gây khó dễ cho người dân", "trễ hạn cả tháng",
		"không ai giải quyết", "hư hỏng lâu ngày", "quá tải và lộn xộn", "thu phí vô lý", "ồn ào suốt đêm", "bụi mù mịt",
		"tắc cống bốc mùi", "đèn hỏng tối om nguy hiểm", "đòi hỏi giấy tờ rườm rà", "phải chờ cả buổi sáng", "báo lỗi liên tục",
		"sập trang không nộp được hồ sơ", "vỉa hè bị lấn chiếm", "cây đổ chắn ngang đường", "nước yếu cả tuần", "mất nước ba ngày",
		"cán bộ hách dịch", "phục vụ kém", "chất lượng tệ hại", "nguy hiểm cho trẻ em", "xả thải ra sông", "tai nạn liên tiếp",
		"người dân rất bức xúc", "dân khổ vì ngập", "phản ánh mãi vẫn không sửa", "làm ăn tắc trách",
	}
	sentPositive = []string{
		"được sửa chữa rất nhanh", "cán bộ nhiệt tình chu đáo", "sạch sẽ thoáng mát", "xử lý kịp thời", "rất hài lòng",
		"thủ tục nhanh gọn", "phục vụ tuyệt vời", "phản hồi nhanh chóng", "đáng khen", "đã thông thoáng",
		"làm việc chuyên nghiệp", "hướng dẫn tận tình", "đẹp hơn hẳn", "an toàn hơn nhiều", "tiện lợi cho người dân",
		"giải quyết dứt điểm", "khắc phục ngay trong ngày", "thân thiện dễ chịu", "minh bạch rõ ràng", "trả hồ sơ sớm hạn",
		"xanh sạch đẹp", "cải thiện rõ rệt", "đèn sáng trưng an toàn", "nước trong và ổn định", "điện ổn định cả tháng",
		"chu đáo và tận tâm", "rất đáng ghi nhận", "người dân vui mừng", "nộp hồ sơ trực tuyến rất dễ", "thu gom rác đúng giờ",
		"tiếp dân lịch sự", "cảm ơn các anh rất nhiều", "hết ngập rồi", "đường mới êm ru", "tuyệt quá", "làm tốt lắm",
		"xứng đáng được biểu dương", "nhanh hơn mong đợi", "mọi thứ suôn sẻ", "rất văn minh",
	}
	sentNeutral = []string{
		"thông báo lịch cắt điện ngày mai", "sẽ tạm ngừng cấp nước để bảo trì", "tổ chức tiếp công dân vào thứ năm",
		"cho hỏi giờ làm việc", "hướng dẫn nộp hồ sơ trực tuyến", "khởi công dự án mở rộng", "họp báo về kế hoạch năm",
		"ai biết số điện thoại", "công bố kết quả tuyển sinh", "phân luồng giao thông từ 6 giờ", "điều chỉnh lộ trình",
		"triển khai tiêm chủng đợt mới", "cập nhật quy trình cấp phép", "niêm yết danh sách hộ nghèo", "lấy ý kiến người dân",
		"kiểm tra định kỳ vào tuần sau", "thay đổi địa điểm tiếp nhận hồ sơ", "chuyển sang làm việc tại trụ sở mới",
		"công khai dự toán ngân sách", "tổ chức diễn tập phòng cháy", "ban hành kế hoạch thu gom rác", "đăng ký trước qua mạng",
		"có lịch trực tết", "cho mình hỏi thủ tục", "đo đạc lại ranh giới", "tập huấn cho cán bộ", "chuẩn bị khai giảng",
		"thống kê số hộ bị ảnh hưởng", "báo cáo tiến độ giải ngân", "phát hành thẻ mới", "thông tin về đợt kiểm tra",
		"thời gian làm việc từ 7 giờ 30", "đang lấy mẫu nước để xét nghiệm", "sẽ có đoàn công tác đến", "nhận hồ sơ đến hết tháng",
		"bắt đầu thu phí từ tháng sau", "mở thêm quầy tiếp nhận", "theo kế hoạch sẽ hoàn thành cuối năm", "tiến hành khảo sát", "đổi giờ xe chạy",
	}
	sentOpeners = map[string][]string{
		Negative: {"", "", "Bức xúc quá,", "Thật sự thất vọng,", "Ai có trách nhiệm xem lại,", "Phản ánh:", "Lại nữa,", "Khổ ghê,", "Đề nghị xử lý gấp:", "Chán thật,"},
		Positive: {"", "", "Cảm ơn,", "Xin ghi nhận,", "Khen ngợi:", "Tin vui:", "Thật tuyệt,", "Mình rất vui vì", "Hoan nghênh,", "Like mạnh,"},
		Neutral:  {"", "", "Thông báo:", "Tin tức:", "Cho hỏi,", "Lưu ý:", "Theo UBND,", "Chiều nay,", "Sáng mai,", "Cập nhật:"},
	}
	sentEndings = map[string][]string{
		Negative: {"", "", ".", "!!!", " 😡", " quá tệ", ", chán ghê", ", mong được xử lý", " từ tuần trước đến giờ", "?!"},
		Positive: {"", "", ".", "!", " 👍", " ❤️", ", cảm ơn nhiều", ", rất đáng khen", " từ hôm qua", " nhé"},
		Neutral:  {"", "", ".", ", bà con lưu ý", " theo kế hoạch", " (theo báo Đà Nẵng)", " tuần này", " ạ", "?", " năm 2026"},
	}
	// A positive quality negated reads negative; a problem that is gone reads positive.
	sentNegatedPositive = []string{"sạch sẽ", "hài lòng", "nhiệt tình", "an toàn", "ổn định", "nhanh", "tận tình", "rõ ràng", "đẹp", "chuyên nghiệp"}
	sentGoneProblems    = []string{"ngập", "mùi hôi", "ổ gà", "kẹt xe", "rác", "mất điện", "tiếng ồn", "bụi", "lấn chiếm", "tắc cống"}
	sentAbbrev          = map[string]string{"không": "ko", "được": "dc", "rất": "rat", "quá": "wa", "người dân": "ng dân", "vậy": "z", "mọi người": "mn"}
)

// heldOut reports whether phrase belongs to the held-out share (about a fifth).
func heldOut(phrase string) bool {
	h := fnv.New32a()
	h.Write([]byte(phrase))
	return h.Sum32()%5 == 0
}

// GenerateSentiment returns the generated dataset: n sentences, deterministic for a seed,
// split into train and held-out by phrase (a held-out phrase never occurs in train).
func GenerateSentiment(n int, seed uint64) (train, held []SentimentExample) {
	rng := mrand.New(mrand.NewPCG(seed, 0x50c1a1))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	for range n {
		label := Sentiments[rng.IntN(3)]
		text, phrase := sentSentence(label, rng, pick)
		text = sentSurface(text, rng)
		ex := SentimentExample{Label: label, Text: text}
		if heldOut(phrase) {
			held = append(held, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, held
}

// sentSentence writes one sentence of label and returns it with the phrase that decides
// its split.
func sentSentence(label string, rng *mrand.Rand, pick func([]string) string) (string, string) {
	subj := pick(sentSubjects)
	var pred string
	switch {
	case label == Negative && rng.IntN(6) == 0:
		pred = "không " + pick(sentNegatedPositive)
		if rng.IntN(2) == 0 {
			pred = "chẳng " + strings.TrimPrefix(pred, "không ") + " chút nào"
		}
	case label == Positive && rng.IntN(6) == 0:
		pred = "không còn " + pick(sentGoneProblems) + " nữa"
	case label == Negative:
		pred = pick(sentNegative)
	case label == Positive:
		pred = pick(sentPositive)
	default:
		pred = pick(sentNeutral)
	}
	var s string
	switch rng.IntN(4) {
	case 0:
		s = subj + " " + pred
	case 1:
		s = pred + " ở " + subj
	case 2:
		s = pick(sentOpeners[label]) + " " + subj + " " + pred
	default:
		s = pick(sentOpeners[label]) + " " + subj + " " + pred + pick(sentEndings[label])
	}
	return strings.TrimSpace(strings.Join(strings.Fields(s), " ")), pred
}

// sentSurface writes text the way people type: a third without accents, some with chat
// abbreviations, some in capitals.
func sentSurface(text string, rng *mrand.Rand) string {
	if rng.IntN(4) == 0 {
		for full, short := range sentAbbrev {
			text = strings.ReplaceAll(text, full, short)
		}
	}
	switch rng.IntN(10) {
	case 0, 1, 2:
		text = refdata.Fold(text)
	case 3:
		text = strings.ToUpper(text)
	}
	return text
}

// WriteSentimentTSV writes examples as "label<TAB>text" lines.
func WriteSentimentTSV(w io.Writer, data []SentimentExample) error {
	bw := bufio.NewWriter(w)
	for _, ex := range data {
		if _, err := fmt.Fprintf(bw, "%s\t%s\n", ex.Label, strings.ReplaceAll(ex.Text, "\t", " ")); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadSentimentTSV reads "label<TAB>text" lines.
func ReadSentimentTSV(r io.Reader) ([]SentimentExample, error) {
	var out []SentimentExample
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		label, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok || labelIndex(label) < 0 || strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("sentiment data line %d: want label<TAB>text with label negative, neutral or positive", line)
		}
		out = append(out, SentimentExample{Label: label, Text: text})
	}
	return out, sc.Err()
}

func labelIndex(label string) int {
	for i, l := range Sentiments {
		if l == label {
			return i
		}
	}
	return -1
}
