package refdata

import (
	"context"
	"strings"
	"time"

	"github.com/ioc1022/ioc1022/ioc-core/httpapi"
	"golang.org/x/text/unicode/norm"
)

// The demo set is one province after the 2025 reorganisation, Đà Nẵng (merged with Quảng
// Nam), with a selection of its wards and communes. Names are real; unit codes, contacts and
// centroids are demo values and are marked demo: load a province's official list instead.

type demoUnit struct {
	code, name string
	level      Level
	lat, lng   float64
	aliases    []string
}

var demoUnits = []demoUnit{
	{"20194", "Phường Hải Châu", LevelWard, 16.0678, 108.2208, []string{"Hải Châu 1", "Hải Châu I", "Hải Châu 2", "Thạch Thang", "Phước Ninh", "Thanh Bình", "Thuận Phước", "Nam Dương", "quận Hải Châu"}},
	{"20227", "Phường Hòa Cường", LevelWard, 16.0386, 108.2202, []string{"Hòa Cường Bắc", "Hòa Cường Nam", "Hòa Thuận Tây", "Bình Hiên", "Bình Thuận"}},
	{"20200", "Phường Thanh Khê", LevelWard, 16.0672, 108.1920, []string{"Thanh Khê Đông", "Thanh Khê Tây", "Xuân Hà", "Tam Thuận", "quận Thanh Khê"}},
	{"20209", "Phường An Khê", LevelWard, 16.0594, 108.1822, []string{"Hòa Khê", "Thạc Gián", "Chính Gián", "Vĩnh Trung", "Tân Chính"}},
	{"20242", "Phường An Hải", LevelWard, 16.0641, 108.2366, []string{"An Hải Bắc", "An Hải Đông", "An Hải Tây", "Phước Mỹ"}},
	{"20236", "Phường Sơn Trà", LevelWard, 16.0946, 108.2446, []string{"Thọ Quang", "Mân Thái", "Nại Hiên Đông", "quận Sơn Trà"}},
	{"20257", "Phường Ngũ Hành Sơn", LevelWard, 16.0003, 108.2515, []string{"Mỹ An", "Khuê Mỹ", "Hòa Hải", "Hòa Quý", "quận Ngũ Hành Sơn"}},
	{"20182", "Phường Hòa Khánh", LevelWard, 16.0701, 108.1490, []string{"Hòa Khánh Bắc", "Hòa Khánh Nam", "Hòa Minh"}},
	{"20185", "Phường Hải Vân", LevelWard, 16.1178, 108.1304, []string{"Hòa Hiệp Bắc", "Hòa Hiệp Nam", "Hòa Bắc", "Hòa Liên"}},
	{"20188", "Phường Liên Chiểu", LevelWard, 16.0848, 108.1446, []string{"Hòa Hiệp", "quận Liên Chiểu"}},
	{"20263", "Phường Cẩm Lệ", LevelWard, 16.0160, 108.1984, []string{"Khuê Trung", "Hòa Thọ Đông", "Hòa Xuân cũ", "quận Cẩm Lệ"}},
	{"20266", "Phường Hòa Xuân", LevelWard, 16.0009, 108.2204, []string{"Hòa Châu", "Hòa Phước"}},
	{"20314", "Xã Hòa Vang", LevelCommune, 15.9858, 108.1343, []string{"Hòa Phong", "Hòa Phú", "huyện Hòa Vang"}},
	{"20308", "Xã Bà Nà", LevelCommune, 15.9983, 108.0279, []string{"Hòa Ninh", "Hòa Nhơn"}},
	{"20333", "Xã Hòa Tiến", LevelCommune, 15.9675, 108.1756, []string{"Hòa Khương"}},
	{"20455", "Phường Hội An", LevelWard, 15.8801, 108.3380, []string{"Minh An", "Cẩm Phô", "Sơn Phong", "thành phố Hội An"}},
	{"20470", "Phường Hội An Đông", LevelWard, 15.8852, 108.3550, []string{"Cẩm Châu", "Cẩm Nam", "Thanh Hà"}},
	{"20398", "Phường Tam Kỳ", LevelWard, 15.5735, 108.4740, []string{"An Mỹ", "An Sơn", "Hòa Hương", "thành phố Tam Kỳ"}},
	{"20530", "Phường Điện Bàn", LevelWard, 15.8937, 108.2480, []string{"Vĩnh Điện", "Điện An", "thị xã Điện Bàn"}},
	{"20590", "Xã Thăng Bình", LevelCommune, 15.7390, 108.3643, []string{"Hà Lam", "huyện Thăng Bình"}},
}

var demoAgencies = []Department{
	{Code: "SXD", Name: "Sở Xây dựng", Kind: KindAgency},
	{Code: "SNNMT", Name: "Sở Nông nghiệp và Môi trường", Kind: KindAgency},
	{Code: "STC", Name: "Sở Tài chính", Kind: KindAgency},
	{Code: "SYT", Name: "Sở Y tế", Kind: KindAgency},
	{Code: "SGDDT", Name: "Sở Giáo dục và Đào tạo", Kind: KindAgency},
	{Code: "SNV", Name: "Sở Nội vụ", Kind: KindAgency},
	{Code: "STP", Name: "Sở Tư pháp", Kind: KindAgency},
	{Code: "CATP", Name: "Công an thành phố", Kind: KindAgency},
	{Code: "TTHCC", Name: "Trung tâm Phục vụ hành chính công", Kind: KindAgency},
	{Code: "VPUBND", Name: "Văn phòng UBND thành phố", Kind: KindAgency},
	{Code: "PCDN", Name: "Công ty Điện lực Đà Nẵng", Kind: KindUtility},
	{Code: "CAPNUOC", Name: "Công ty Cổ phần Cấp nước Đà Nẵng", Kind: KindUtility},
}

// DemoCategories are the ticket categories with their demo default departments and
// deadlines. The codes are shared with the chatbot and must not change.
var DemoCategories = []Category{
	{Code: "roads_traffic", Name: "Giao thông, đường sá, cầu, đèn tín hiệu, chiếu sáng", DefaultDepartment: "SXD", AcceptHours: 8, AnswerDays: 10},
	{Code: "flooding_drainage", Name: "Ngập nước, thoát nước", DefaultDepartment: "SXD", AcceptHours: 4, AnswerDays: 5},
	{Code: "electricity", Name: "Điện", DefaultDepartment: "PCDN", AcceptHours: 4, AnswerDays: 3},
	{Code: "water_supply", Name: "Cấp nước", DefaultDepartment: "CAPNUOC", AcceptHours: 4, AnswerDays: 3},
	{Code: "environment", Name: "Rác thải, ô nhiễm, tiếng ồn", DefaultDepartment: "SNNMT", AcceptHours: 8, AnswerDays: 10},
	{Code: "urban_order", Name: "Trật tự đô thị, lấn chiếm, xây dựng trái phép", DefaultDepartment: "SXD", Local: true, AcceptHours: 8, AnswerDays: 7},
	{Code: "land_housing", Name: "Đất đai, nhà ở", DefaultDepartment: "SNNMT", AcceptHours: 8, AnswerDays: 15},
	{Code: "civil_status", Name: "Hộ tịch, cư trú, căn cước", DefaultDepartment: "STP", Local: true, AcceptHours: 8, AnswerDays: 7},
	{Code: "business", Name: "Đăng ký kinh doanh, đầu tư, thuế", DefaultDepartment: "STC", AcceptHours: 8, AnswerDays: 10},
	{Code: "health", Name: "Y tế, dịch bệnh, tiêm chủng, BHYT", DefaultDepartment: "SYT", AcceptHours: 4, AnswerDays: 7},
	{Code: "education", Name: "Giáo dục", DefaultDepartment: "SGDDT", AcceptHours: 8, AnswerDays: 10},
	{Code: "social_welfare", Name: "Lao động, việc làm, bảo trợ xã hội, người có công", DefaultDepartment: "SNV", AcceptHours: 8, AnswerDays: 10},
	{Code: "security_order", Name: "An ninh trật tự", DefaultDepartment: "CATP", AcceptHours: 2, AnswerDays: 5},
	{Code: "public_service", Name: "Thủ tục hành chính, dịch vụ công, thái độ cán bộ", DefaultDepartment: "TTHCC", AcceptHours: 8, AnswerDays: 10},
	{Code: "other", Name: "Khác", DefaultDepartment: "VPUBND", AcceptHours: 8, AnswerDays: 10},
}

// CommitteeCode is the department code of the people's committee of a unit in the demo set.
func CommitteeCode(unitName string) string {
	n := unitName
	for _, p := range []string{"Phường ", "Xã "} {
		n = strings.TrimPrefix(n, p)
	}
	return "UBND-" + strings.ToUpper(strings.ReplaceAll(Fold(n), " ", ""))
}

// Fold returns s without diacritics, đ as d, in lower case: the form citizens type without
// accents, for matching.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case r == 'đ':
			b.WriteRune('d')
		case r >= 0x300 && r <= 0x36f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SeedDemo loads the demo province, leaving what exists as it is.
// DemoUnits returns the wards and communes of the demo province, with their old names as
// aliases: what a node seeded with --demo holds, for tools that run without a store.
func DemoUnits() []Unit {
	out := make([]Unit, 0, len(demoUnits))
	for _, d := range demoUnits {
		out = append(out, Unit{Code: d.code, Name: d.name, Level: d.level, Parent: "48", Aliases: d.aliases,
			Centroid: &LatLng{Lat: d.lat, Lng: d.lng}, Demo: true})
	}
	return out
}

func (s *Service) SeedDemo(ctx context.Context) error {
	from := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	province := Unit{Code: "48", Name: "Thành phố Đà Nẵng", Level: LevelProvince, ValidFrom: from, Demo: true,
		Aliases: []string{"Đà Nẵng", "Quảng Nam", "tỉnh Quảng Nam"}}
	if err := insertIfMissing[Unit](ctx, s, UnitsCollection, &province); err != nil {
		return err
	}
	for _, d := range demoUnits {
		u := Unit{Code: d.code, Name: d.name, Level: d.level, Parent: "48", ValidFrom: from, Aliases: d.aliases,
			Centroid: &LatLng{Lat: d.lat, Lng: d.lng}, Demo: true}
		if err := insertIfMissing[Unit](ctx, s, UnitsCollection, &u); err != nil {
			return err
		}
		c := Department{Code: CommitteeCode(d.name), Name: "UBND " + strings.ToLower(d.name[:1]) + d.name[1:], Kind: KindCommittee,
			Unit: d.code, Active: true, Demo: true}
		if err := insertIfMissing[Department](ctx, s, DepartmentsCollection, &c); err != nil {
			return err
		}
	}
	for _, d := range demoAgencies {
		d.Active, d.Demo = true, true
		d.Contacts.Email = strings.ToLower(d.Code) + "@demo.ioc1022.invalid"
		if err := insertIfMissing[Department](ctx, s, DepartmentsCollection, &d); err != nil {
			return err
		}
	}
	return s.SeedCategories(ctx, true)
}

// SeedCategories adds the standard categories that are missing. Every install has them, since
// the chatbot classifies into exactly these codes; only the demo names default departments.
func (s *Service) SeedCategories(ctx context.Context, withDepartments bool) error {
	for _, c := range DemoCategories {
		c.Active = true
		if !withDepartments {
			c.DefaultDepartment = ""
		}
		if err := insertIfMissing[Category](ctx, s, CategoriesCollection, &c); err != nil {
			return err
		}
	}
	return nil
}

func insertIfMissing[T any, P record[T]](ctx context.Context, s *Service, coll string, v *T) error {
	err := Insert[T, P](ctx, s.st, coll, v)
	if e, ok := err.(*httpapi.Error); ok && e.Status == 409 {
		return nil
	}
	return err
}
