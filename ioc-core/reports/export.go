package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/ioc1022/ioc1022/ioc-core/kpi"
	"github.com/xuri/excelize/v2"
)

// The sheets of an XLSX report, also the sections (column "Mục") of a CSV report.
const (
	SheetSummary     = "Tổng hợp"
	SheetChannels    = "Kênh tiếp nhận"
	SheetCategories  = "Lĩnh vực"
	SheetDepartments = "Đơn vị xử lý"
	SheetOverdue     = "Quá hạn"
)

// CSVHeader is the header of a CSV report: one figure per line.
var CSVHeader = []string{"Mục", "Mã", "Tên", "Chỉ tiêu", "Giá trị"}

// cell is one value of a table: an integer, a rate (a fraction shown as a percentage), a
// number of seconds, or nothing (a rate with nothing counted).
type cell struct {
	n       int64
	f       *float64
	percent bool
	isFloat bool
}

func count[T int | int64](n T) cell { return cell{n: int64(n)} }
func rate(r kpi.Ratio) cell         { return cell{f: r.Value, percent: true, isFloat: true} }
func seconds(s *float64) cell       { return cell{f: s, isFloat: true} }

// text is the cell as CSV text: rates in percent with two decimals, seconds with one.
func (c cell) text() string {
	switch {
	case !c.isFloat:
		return strconv.FormatInt(c.n, 10)
	case c.f == nil:
		return ""
	case c.percent:
		return strconv.FormatFloat(*c.f*100, 'f', 2, 64)
	}
	return strconv.FormatFloat(*c.f, 'f', 1, 64)
}

// row is one line of a table: the code and name of what it is about, and its values.
type row struct {
	code, name string
	cells      []cell
}

// table is one sheet. Dimension tables have a code and a name column before the figures;
// the summary has one figure per row (its code is the figure's key, its name the label).
type table struct {
	sheet   string
	header  []string // the figures' labels
	rows    []row
	summary bool
}

func pct(label string) string { return label + " (%)" }

func (r *Report) tables() []table {
	c, t := r.Calls, r.Tickets
	sum := table{sheet: SheetSummary, summary: true, header: []string{"Giá trị"}}
	add := func(key, label string, v cell) { sum.rows = append(sum.rows, row{key, label, []cell{v}}) }
	add("contacts_total", "Tổng số lượt tiếp nhận (mọi kênh)", count(r.Contacts.Total))
	add("calls_in", "Cuộc gọi đến", count(c.In))
	add("calls_out", "Cuộc gọi đi", count(c.Out))
	add("calls_offered", "Cuộc gọi vào hàng chờ", count(c.Offered))
	add("calls_answered", "Cuộc gọi được trả lời", count(c.Answered))
	add("calls_abandoned", "Cuộc gọi bị bỏ", count(c.Abandoned))
	add("calls_short_abandoned", "Cuộc gọi bỏ sớm (không tính)", count(c.ShortAbandoned))
	add("answer_rate", pct("Tỷ lệ trả lời cuộc gọi"), rate(c.AnswerRate))
	add("service_level", pct(fmt.Sprintf("Mức phục vụ (trả lời trong %d giây)", c.ThresholdS)), rate(c.ServiceLevel))
	add("asa_s", "Thời gian chờ trả lời trung bình (giây)", seconds(c.ASA))
	add("aht_s", "Thời gian xử lý cuộc gọi trung bình (giây)", seconds(c.AHT))
	add("tickets_received", "Phản ánh tiếp nhận", count(t.Received))
	add("tickets_resolved", "Phản ánh đã giải quyết", count(t.Resolved))
	add("tickets_closed", "Phản ánh đã kết thúc", count(t.Closed))
	add("tickets_closed_on_time", "Phản ánh kết thúc đúng hạn", count(t.ClosedOnTime))
	add("tickets_forwarded", "Phản ánh chuyển đơn vị khác", count(t.Forwarded))
	add("processing_rate", pct("Tỷ lệ xử lý (đã giải quyết / tiếp nhận)"), rate(t.ProcessingRate))
	add("on_time_rate", pct("Tỷ lệ đúng hạn (đúng hạn / đã kết thúc)"), rate(t.OnTimeRate))
	add("satisfaction", pct("Tỷ lệ hài lòng (4–5 sao / lượt đánh giá)"), rate(t.Satisfaction))
	add("ratings", "Số lượt đánh giá", count(t.Satisfaction.Den))
	add("open_now", "Phản ánh đang xử lý (lúc lập báo cáo)", count(r.Overdue.Open))
	add("overdue_now", "Phản ánh quá hạn (lúc lập báo cáo)", count(r.Overdue.Overdue))
	add("due_soon_now", "Phản ánh sắp đến hạn (lúc lập báo cáo)", count(r.Overdue.DueSoon))

	ch := table{sheet: SheetChannels, header: []string{"Số lượt tiếp nhận"}}
	for _, x := range r.Contacts.ByChannel {
		ch.rows = append(ch.rows, row{x.Channel, x.Name, []cell{count(x.Contacts)}})
	}
	dims := func(sheet string, rows []Row) table {
		tb := table{sheet: sheet, header: []string{"Tiếp nhận", "Đã giải quyết", "Đã kết thúc", "Kết thúc đúng hạn",
			pct("Tỷ lệ xử lý"), pct("Tỷ lệ đúng hạn"), pct("Tỷ lệ hài lòng")}}
		for _, x := range rows {
			tb.rows = append(tb.rows, row{x.Code, x.Name, []cell{count(x.Received), count(x.Resolved), count(x.Closed),
				count(x.ClosedOnTime), rate(x.ProcessingRate), rate(x.OnTimeRate), rate(x.Satisfaction)}})
		}
		return tb
	}
	od := table{sheet: SheetOverdue, header: []string{"Đang xử lý", "Quá hạn", "Sắp đến hạn"}}
	for _, x := range r.Overdue.ByDepartment {
		od.rows = append(od.rows, row{x.Code, x.Name, []cell{count(x.Open), count(x.Overdue), count(x.DueSoon)}})
	}
	return []table{sum, ch, dims(SheetCategories, t.ByCategory), dims(SheetDepartments, t.ByDepartment), od}
}

// WriteCSV writes the report as CSV (UTF-8, comma-separated, RFC 4180): the header
// CSVHeader, then one figure per line. Rates are percentages with two decimals, empty when
// nothing was counted; durations are seconds.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, tb := range r.tables() {
		for _, x := range tb.rows {
			for i, c := range x.cells {
				rec := []string{tb.sheet, x.code, x.name, tb.header[i], c.text()}
				if tb.summary {
					rec = []string{tb.sheet, x.code, "", x.name, c.text()}
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// XLSX returns the report as an Excel workbook with the sheets SheetSummary,
// SheetChannels, SheetCategories, SheetDepartments and SheetOverdue. Each sheet has the
// report's title in A1 and its range in A2; the table starts at row 4 with its header.
func (r *Report) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	styles, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	for i, tb := range r.tables() {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", tb.sheet); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(tb.sheet); err != nil {
			return nil, err
		}
		if err := r.writeSheet(f, tb, styles); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", tb.sheet, err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type sheetStyles struct{ title, head, percent, seconds int }

func newStyles(f *excelize.File) (sheetStyles, error) {
	var s sheetStyles
	var err error
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return s, err
	}
	if s.head, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true}}); err != nil {
		return s, err
	}
	if s.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return s, err
	}
	s.seconds, err = f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	return s, err
}

func (r *Report) writeSheet(f *excelize.File, tb table, st sheetStyles) error {
	sh := tb.sheet
	set := func(col, line int, v any) error {
		ref, err := excelize.CoordinatesToCellName(col, line)
		if err != nil {
			return err
		}
		return f.SetCellValue(sh, ref, v)
	}
	if err := set(1, 1, r.Title); err != nil {
		return err
	}
	if err := set(1, 2, fmt.Sprintf("Từ %s đến hết %s (lập lúc %s)", r.From.In(kpi.Zone).Format("02/01/2006"),
		r.To.In(kpi.Zone).AddDate(0, 0, -1).Format("02/01/2006"), r.GeneratedAt.In(kpi.Zone).Format("15:04 02/01/2006"))); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", "A1", st.title); err != nil {
		return err
	}
	head := append([]string{"Mã", "Tên"}, tb.header...)
	if tb.summary {
		head = []string{"Mã", "Chỉ tiêu", "Giá trị"}
	}
	for i, h := range head {
		if err := set(i+1, 4, h); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 4)
	if err := f.SetCellStyle(sh, "A4", last, st.head); err != nil {
		return err
	}
	for i, x := range tb.rows {
		line := 5 + i
		if err := set(1, line, x.code); err != nil {
			return err
		}
		if err := set(2, line, x.name); err != nil {
			return err
		}
		for j, c := range x.cells {
			if err := writeCell(f, sh, 3+j, line, c, st); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(sh, "A", "A", 16); err != nil {
		return err
	}
	return f.SetColWidth(sh, "B", "B", 44)
}

func writeCell(f *excelize.File, sh string, col, line int, c cell, st sheetStyles) error {
	ref, err := excelize.CoordinatesToCellName(col, line)
	if err != nil {
		return err
	}
	switch {
	case !c.isFloat:
		return f.SetCellValue(sh, ref, c.n)
	case c.f == nil:
		return nil
	}
	if err := f.SetCellValue(sh, ref, *c.f); err != nil {
		return err
	}
	style := st.seconds
	if c.percent {
		style = st.percent
	}
	return f.SetCellStyle(sh, ref, ref, style)
}
