package dialogue

import (
	"fmt"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/chatbot/faq"
	"github.com/ioc1022/ioc1022/tickets"
)

// The bot's fixed replies, in the register of a public service. They state no fact that
// does not come from the ticket engine or the knowledge base.
const (
	msgGreeting = "Dạ, Tổng đài 1022 xin chào Anh/Chị. Em là trợ lý tự động, em có thể giúp Anh/Chị:\n" +
		"- Gửi phản ánh, kiến nghị;\n- Tra cứu tiến độ xử lý phản ánh đã gửi;\n- Giải đáp các thủ tục hành chính thường gặp.\n" +
		"Anh/Chị cần hỗ trợ việc gì ạ?"
	msgBye                  = "Dạ, cảm ơn Anh/Chị đã liên hệ Tổng đài 1022. Chúc Anh/Chị một ngày tốt lành ạ!"
	msgOnlyText             = "Dạ, hiện em chỉ đọc được tin nhắn chữ và hình ảnh. Anh/Chị nhắn giúp em nội dung cần hỗ trợ ạ."
	msgNothingToCancel      = "Dạ, hiện không có yêu cầu nào đang làm dở. Anh/Chị cần hỗ trợ gì thêm ạ?"
	msgCancelled            = "Dạ, em đã hủy yêu cầu đang làm dở, thông tin chưa được gửi đi. Khi cần, Anh/Chị cứ nhắn lại cho em ạ."
	msgHandoff              = "Dạ, em đang chuyển Anh/Chị đến tổng đài viên. Anh/Chị vui lòng chờ trong giây lát, tổng đài viên sẽ trả lời ngay khi có thể ạ."
	msgAngry                = "Dạ, em rất xin lỗi vì sự bất tiện Anh/Chị gặp phải. Em xin chuyển Anh/Chị đến tổng đài viên để được hỗ trợ trực tiếp ạ."
	msgHandoffNotUnderstood = "Dạ, em xin lỗi vì chưa hiểu rõ yêu cầu. Em xin chuyển Anh/Chị đến tổng đài viên để được hỗ trợ trực tiếp, Anh/Chị vui lòng chờ trong giây lát ạ."
	msgClarify              = "Dạ, em chưa hiểu rõ ý Anh/Chị. Anh/Chị muốn:\n1. Gửi phản ánh, kiến nghị\n2. Hỏi thủ tục hành chính\n" +
		"3. Tra cứu phản ánh đã gửi\n4. Gặp tổng đài viên\nAnh/Chị trả lời bằng số hoặc nói rõ hơn giúp em ạ."
	msgOutOfScope = "Dạ, nội dung này nằm ngoài phạm vi hỗ trợ của Tổng đài 1022. Em có thể giúp Anh/Chị gửi phản ánh, kiến nghị, " +
		"tra cứu phản ánh đã gửi hoặc giải đáp thủ tục hành chính thường gặp ạ."
	msgNoAnswer = "Dạ, em chưa có thông tin đã được kiểm chứng về nội dung này nên không dám trả lời để tránh hướng dẫn sai. " +
		"Anh/Chị nói rõ hơn tên thủ tục giúp em, hoặc nhắn \"gặp tổng đài viên\" để được cán bộ hỗ trợ ạ."
	msgAskWhichProcedure = "Dạ, Anh/Chị cần hỏi về thủ tục nào ạ? Ví dụ: làm căn cước, đăng ký khai sinh, đăng ký hộ kinh doanh, lắp đặt đồng hồ nước..."

	msgAskWhat     = "Dạ, Anh/Chị mô tả giúp em sự việc cần phản ánh ạ (việc gì, mức độ ra sao)."
	msgAskCategory = "Dạ, sự việc này thuộc lĩnh vực nào ạ? Ví dụ: giao thông, ngập nước, điện, cấp nước, môi trường, " +
		"trật tự đô thị, đất đai, hộ tịch, an ninh trật tự, y tế, giáo dục..."
	msgAskWard      = "Dạ, sự việc xảy ra ở phường/xã nào ạ?"
	msgWardUnknown  = "Dạ, em chưa tìm thấy phường/xã này trong danh sách địa bàn. Anh/Chị kiểm tra giúp em tên phường/xã (có thể dùng tên cũ trước khi sáp nhập) ạ."
	msgAskAddress   = "Dạ, Anh/Chị cho em xin địa chỉ cụ thể (số nhà, tên đường hoặc địa điểm gần đó) ạ."
	msgAskWhen      = "Dạ, sự việc xảy ra từ khi nào ạ? (ví dụ: sáng nay, hôm qua, 25/11)"
	msgAskPhone     = "Dạ, Anh/Chị cho em xin số điện thoại để cơ quan xử lý liên hệ khi cần và để tra cứu kết quả ạ."
	msgPhoneInvalid = "Dạ, số điện thoại chưa đúng. Anh/Chị nhập giúp em số di động 10 chữ số (ví dụ 0905 123 456) ạ."
	msgWhatToFix    = "Dạ, Anh/Chị cho em biết thông tin nào cần sửa ạ (ví dụ: \"không phải, ở phường Hòa Cường\")."
	msgConfirmHow   = "Dạ, Anh/Chị trả lời \"Đúng\" để em gửi phản ánh, cho em biết thông tin cần sửa, hoặc nhắn \"Hủy\" để hủy ạ."
	msgCreateFailed = "Dạ, hệ thống chưa ghi nhận được phản ánh với thông tin trên. Em xin chuyển Anh/Chị đến tổng đài viên để hoàn tất giúp Anh/Chị ạ."

	msgAskCode       = "Dạ, Anh/Chị cho em xin mã phiếu phản ánh (ví dụ PA-7K3M9Q-X) ạ."
	msgCodeInvalid   = "Dạ, mã phiếu Anh/Chị gửi chưa đúng định dạng. Mã phiếu gồm chữ cái đầu và 7 ký tự, ví dụ PA-7K3M9Q-X; Anh/Chị kiểm tra lại giúp em ạ."
	msgAskLast4      = "Dạ, để bảo mật thông tin, Anh/Chị cho em xin 4 số cuối của số điện thoại đã dùng khi gửi phản ánh ạ."
	msgLast4Invalid  = "Dạ, Anh/Chị nhập giúp em đúng 4 chữ số cuối của số điện thoại đã dùng khi gửi phản ánh ạ."
	msgLookupNoMatch = "Dạ, em chưa tìm thấy phản ánh nào khớp với mã phiếu và 4 số cuối điện thoại Anh/Chị cung cấp. " +
		"Anh/Chị kiểm tra lại giúp em mã phiếu và 4 số cuối của số điện thoại đã dùng khi gửi phản ánh ạ."
	msgLookupGiveUp = "Dạ, thông tin tra cứu vẫn chưa khớp nên vì lý do bảo mật em chưa thể cung cấp kết quả. " +
		"Anh/Chị có thể nhắn \"gặp tổng đài viên\" hoặc gọi Tổng đài 1022 để được hỗ trợ ạ."
)

// hcm is the citizens' time zone; a fixed UTC+7 (Vietnam has no daylight saving time).
var hcm = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return l
	}
	return time.FixedZone("Asia/Ho_Chi_Minh", 7*3600)
}()

// FormatDate formats a date as citizens read it: dd/mm/yyyy in Asia/Ho_Chi_Minh.
func FormatDate(t time.Time) string { return t.In(hcm).Format("02/01/2006") }

func emergencyText(numbers []string) string {
	lines := map[string]string{"114": "- 114: Cứu hỏa, cứu nạn cứu hộ", "115": "- 115: Cấp cứu y tế", "113": "- 113: Công an"}
	var b strings.Builder
	b.WriteString("Dạ, đây là tình huống khẩn cấp. Anh/Chị vui lòng GỌI NGAY:\n")
	for _, n := range numbers {
		b.WriteString(lines[n] + "\n")
	}
	b.WriteString("Em đã báo cho cán bộ trực để hỗ trợ thêm. Anh/Chị hãy giữ an toàn cho bản thân và mọi người xung quanh ạ.")
	return b.String()
}

func faqText(e faq.Entry) string {
	src := ""
	if e.Source != "" {
		src = "; căn cứ: " + e.Source
	}
	return fmt.Sprintf("%s\n\n(Nguồn: mục hỏi đáp \"%s\", mã %s%s)", e.Answer, e.Question, e.ID, src)
}

// confirmText lists what the report has, in one message.
func confirmText(r *Report, categoryName, channelPhone string) string {
	var b strings.Builder
	b.WriteString("Dạ, em xin xác nhận lại thông tin phản ánh:\n")
	fmt.Fprintf(&b, "- Lĩnh vực: %s\n", categoryName)
	fmt.Fprintf(&b, "- Nội dung: %s\n", r.What)
	fmt.Fprintf(&b, "- Địa điểm: %s, %s\n", r.Address, r.WardName)
	when := r.WhenText
	if r.When != nil {
		when = fmt.Sprintf("%s (%s)", r.WhenText, FormatDate(*r.When))
	}
	fmt.Fprintf(&b, "- Thời gian: %s\n", when)
	phone := r.Phone
	if phone == "" {
		phone = channelPhone
	}
	fmt.Fprintf(&b, "- Số điện thoại liên hệ: %s\n", phone)
	if r.Photo != "" {
		b.WriteString("- Ảnh: đã đính kèm\n")
	} else {
		b.WriteString("- Ảnh: chưa có (Anh/Chị có thể gửi kèm ảnh nếu muốn)\n")
	}
	b.WriteString("Anh/Chị trả lời \"Đúng\" để gửi, cho em biết thông tin cần sửa, hoặc nhắn \"Hủy\" để hủy ạ.")
	return b.String()
}

func createdText(t *tickets.Ticket) string {
	s := fmt.Sprintf("Dạ, phản ánh của Anh/Chị đã được tiếp nhận với mã phiếu %s.", t.Code)
	if t.DueAt != nil {
		s += fmt.Sprintf(" Hạn trả lời dự kiến: %s.", FormatDate(*t.DueAt))
	}
	return s + " Anh/Chị dùng mã phiếu này và 4 số cuối số điện thoại để tra cứu tiến độ; khi có kết quả, em sẽ báo lại qua kênh này ạ."
}

func statusText(v *tickets.PublicView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Dạ, phản ánh mã %s: %s.", v.Code, v.StatusText)
	if v.DepartmentName != "" {
		fmt.Fprintf(&b, "\n- Cơ quan xử lý: %s", v.DepartmentName)
	}
	fmt.Fprintf(&b, "\n- Ngày tiếp nhận: %s", FormatDate(v.CreatedAt))
	if v.DueAt != nil && v.ResolvedAt == nil {
		fmt.Fprintf(&b, "\n- Hạn trả lời: %s", FormatDate(*v.DueAt))
	}
	if v.MergedInto != "" {
		fmt.Fprintf(&b, "\n- Đã gộp vào phiếu: %s", v.MergedInto)
	}
	if v.Answer != "" {
		fmt.Fprintf(&b, "\n- Kết quả trả lời: %s", v.Answer)
	}
	return b.String()
}

// summary tells the agent what the bot knows, so the citizen is not asked again.
func summary(st *State, reason string) string {
	r := st.Report
	parts := []string{"Chatbot chuyển (" + reason + ")"}
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+": "+v)
		}
	}
	intent := st.LastIntent
	if st.Flow == FlowReport {
		intent = "report"
	}
	add("ý định", intent)
	cat := r.Category
	if cat == "" && st.LastCategory != "-" {
		cat = st.LastCategory
	}
	add("lĩnh vực", cat)
	add("nội dung", clip(r.What, 300))
	if r.Ward != "" {
		add("phường/xã", r.WardName+" ("+r.Ward+")")
	}
	add("địa chỉ", r.Address)
	add("thời gian", r.WhenText)
	add("SĐT", r.Phone)
	add("ảnh", r.Photo)
	add("mã phiếu tra cứu", st.Code)
	return strings.Join(parts, "; ")
}
