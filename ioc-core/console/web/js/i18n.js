// Labels in Vietnamese first, English second. t(key, ...args) fills {0}, {1}, ...
const L = {
  app: ["Tổng đài 1022", "1022 Hotline"],
  login: ["Đăng nhập", "Log in"], logout: ["Đăng xuất", "Log out"],
  username: ["Tên đăng nhập", "Username"], password: ["Mật khẩu", "Password"],
  loginFailed: ["Sai tên đăng nhập hoặc mật khẩu", "Wrong username or password"],
  language: ["English", "Tiếng Việt"],
  online: ["Trực tuyến", "Online"], offline: ["Mất kết nối — đang thử lại…", "Offline — retrying…"],
  reconnecting: ["Đang kết nối lại…", "Reconnecting…"],
  loading: ["Đang tải…", "Loading…"], loadFailed: ["Không tải được trang này (mất kết nối?).", "This page could not be loaded (offline?)."], none: ["Không có", "None"], empty: ["Không có mục nào", "Nothing here"],
  save: ["Lưu", "Save"], cancel: ["Hủy", "Cancel"], send: ["Gửi", "Send"], close: ["Đóng", "Close"],
  reload: ["Tải lại", "Reload"], search: ["Tìm kiếm", "Search"], confirm: ["Xác nhận", "Confirm"],
  error: ["Lỗi", "Error"], stale: ["Phiếu vừa được người khác thay đổi; đã tải lại, vui lòng thao tác lại.", "The ticket changed meanwhile; reloaded, please try again."],
  // navigation
  navAgent: ["Bàn làm việc", "Agent desktop"], navTriage: ["Phân loại phiếu mới", "Triage"],
  navPortal: ["Phiếu của đơn vị", "Department tickets"], navWallboard: ["Màn hình giám sát", "Wallboard"],
  navDashboard: ["Bảng điều hành IOC", "IOC dashboard"], navAdmin: ["Quản trị", "Administration"],
  navTickets: ["Tra cứu phiếu", "Tickets"], forbidden: ["Vai trò của bạn không được xem trang này.", "Your role may not see this page."],
  // roles
  role_admin: ["Quản trị viên", "Administrator"], role_supervisor: ["Giám sát viên", "Supervisor"],
  role_agent: ["Tổng đài viên", "Agent"], role_officer: ["Cán bộ xử lý", "Officer"], role_leader: ["Lãnh đạo", "Leader"],
  // tickets
  ticket: ["Phiếu", "Ticket"], code: ["Mã phiếu", "Code"], status: ["Trạng thái", "Status"],
  category: ["Lĩnh vực", "Category"], ward: ["Phường/Xã", "Ward/commune"], department: ["Đơn vị xử lý", "Department"],
  address: ["Địa chỉ", "Address"], description: ["Nội dung", "Description"], reporter: ["Người phản ánh", "Reporter"],
  phone: ["Điện thoại", "Phone"], channel: ["Kênh", "Channel"], createdAt: ["Ngày tiếp nhận", "Received"],
  dueAt: ["Hạn xử lý", "Due"], acceptDueAt: ["Hạn tiếp nhận", "Accept by"], answer: ["Kết quả trả lời", "Answer"],
  history: ["Lịch sử xử lý", "History"], attachments: ["Tệp đính kèm", "Attachments"], comments: ["Ghi chú", "Comments"],
  overdue: ["Quá hạn", "Overdue"], dueSoon: ["Sắp đến hạn", "Due soon"], onTime: ["Trong hạn", "On time"],
  reason: ["Lý do", "Reason"], days: ["Số ngày làm việc", "Working days"], text: ["Nội dung", "Text"],
  publicNote: ["Hiển thị cho công dân", "Shown to the citizen"], extension: ["Gia hạn", "Extension"],
  noDue: ["Chưa có hạn", "No deadline"], by: ["Người thực hiện", "By"], at: ["Thời điểm", "When"], action: ["Thao tác", "Action"],
  filterOpen: ["Đang xử lý", "Open"], filterAnswered: ["Đã trả lời", "Answered"], filterAll: ["Tất cả", "All"],
  selectTicket: ["Chọn một phiếu để xem chi tiết.", "Pick a ticket to see it."],
  st_new: ["Mới", "New"], st_assigned: ["Chờ tiếp nhận", "Assigned"], st_in_progress: ["Đang xử lý", "In progress"],
  st_answered: ["Đã trả lời", "Answered"], st_resolved: ["Đã hoàn thành", "Resolved"], st_closed: ["Đã đóng", "Closed"],
  st_merged: ["Đã gộp", "Merged"], st_rejected: ["Từ chối", "Rejected"],
  act_accept: ["Tiếp nhận", "Accept"], act_return: ["Trả lại", "Return"], act_transfer: ["Chuyển đơn vị", "Transfer"],
  act_request_extension: ["Xin gia hạn", "Request extension"], act_answer: ["Trả lời", "Answer"],
  act_grant_extension: ["Duyệt gia hạn", "Grant extension"], act_deny_extension: ["Từ chối gia hạn", "Deny extension"],
  act_approve: ["Duyệt kết quả", "Approve"], act_send_back: ["Yêu cầu xử lý lại", "Send back"],
  act_triage: ["Phân loại", "Triage"], act_assign: ["Giao đơn vị", "Assign"], act_reject: ["Từ chối phiếu", "Reject"],
  act_comment: ["Ghi chú", "Comment"], act_close: ["Đóng phiếu", "Close"], act_reopen: ["Mở lại", "Reopen"],
  act_create: ["Tạo phiếu", "Created"], act_merge: ["Gộp phiếu", "Merge"], act_rate: ["Đánh giá", "Rating"],
  // agent desktop
  inbox: ["Hộp thư", "Inbox"], mine: ["Của tôi", "Mine"], queued: ["Đang chờ", "Queued"], resolvedTab: ["Đã xong", "Resolved"],
  cs_bot: ["Bot", "Bot"], cs_queued: ["Đang chờ", "Queued"], cs_assigned: ["Đang trao đổi", "Assigned"],
  cs_pending: ["Chờ công dân", "Pending"], cs_resolved: ["Đã xong", "Resolved"],
  typeReply: ["Nhập trả lời… (Ctrl+Enter để gửi)", "Type a reply… (Ctrl+Enter sends)"],
  note: ["Ghi chú nội bộ", "Internal note"], canned: ["Mẫu trả lời", "Canned replies"],
  take: ["Nhận xử lý", "Take"], pending: ["Chờ công dân", "Pending"], resolve: ["Kết thúc", "Resolve"],
  transfer: ["Chuyển", "Transfer"], toAgent: ["Tổng đài viên", "Agent"], toTeam: ["Nhóm", "Team"],
  createTicket: ["Tạo phiếu từ hội thoại", "Create ticket"], ticketCreated: ["Đã tạo phiếu {0}", "Ticket {0} created"],
  pickConversation: ["Chọn một hội thoại.", "Pick a conversation."], citizen: ["Công dân", "Citizen"],
  sending: ["Đang gửi…", "Sending…"], draftKept: ["Bản nháp được lưu tự động", "Draft saved automatically"], linkedTickets: ["Phiếu liên quan", "Linked tickets"],
  phoneState: ["Trạng thái điện thoại", "Phone state"], ag_available: ["Sẵn sàng", "Available"], ag_paused: ["Tạm nghỉ", "Paused"],
  ag_wrap_up: ["Hoàn tất cuộc gọi", "Wrap-up"], ag_on_call: ["Đang gọi", "On call"], ag_ringing: ["Đang đổ chuông", "Ringing"],
  ag_logged_out: ["Chưa đăng nhập máy", "Logged out"], pauseReason: ["Lý do tạm nghỉ", "Pause reason"],
  incomingCall: ["Cuộc gọi đến từ {0}", "Incoming call from {0}"], recentTickets: ["Phiếu gần đây của số này", "Recent tickets of this number"],
  noPbx: ["Tổng đài điện thoại chưa sẵn sàng cho tài khoản này.", "The phone system is not available for this account."],
  // supervisors and leaders
  callsWaiting: ["Cuộc gọi đang chờ", "Calls waiting"], longestWait: ["Chờ lâu nhất", "Longest wait"],
  serviceLevel30: ["Mức phục vụ 30 phút", "Service level, 30 min"], abandon30: ["Tỷ lệ bỏ máy 30 phút", "Abandon rate, 30 min"],
  chatsQueued: ["Tin nhắn đang chờ", "Chats queued"], agentsByState: ["Tổng đài viên theo trạng thái", "Agents by state"],
  firingAlerts: ["Cảnh báo", "Alerts"], queue: ["Hàng đợi", "Queue"], waiting: ["Đang chờ", "Waiting"],
  received: ["Phiếu tiếp nhận hôm nay", "Tickets received today"], resolvedToday: ["Phiếu hoàn thành hôm nay", "Resolved today"],
  onTimeRate: ["Tỷ lệ đúng hạn", "On-time rate"], openNow: ["Phiếu đang mở", "Open tickets"], overdueNow: ["Phiếu quá hạn", "Overdue tickets"],
  satisfaction: ["Hài lòng", "Satisfaction"], callsArrived: ["Cuộc gọi đến hôm nay", "Calls today"], answerRate: ["Tỷ lệ trả lời", "Answer rate"],
  asa: ["Thời gian chờ TB", "Avg. speed of answer"], contacts: ["Liên hệ đa kênh hôm nay", "Contacts today"], botContainment: ["Bot tự xử lý", "Bot containment"],
  monthlyReport: ["Tải báo cáo tháng (XLSX)", "Download the monthly report (XLSX)"],
  last30: ["30 ngày", "30 days"],
  trend7: ["Xu hướng 7 ngày", "Last 7 days"], byDepartment: ["Phiếu theo đơn vị", "Tickets by department"], byWard: ["Bản đồ phiếu theo phường/xã", "Tickets by ward/commune"],
  byChannel: ["Theo kênh", "By channel"], ack: ["Xác nhận", "Acknowledge"], acked: ["Đã xác nhận", "Acknowledged"], noAlerts: ["Không có cảnh báo", "No alerts"],
  sev_critical: ["Nghiêm trọng", "Critical"], sev_warning: ["Cảnh báo", "Warning"], sev_info: ["Thông tin", "Info"],
  calls: ["Cuộc gọi", "Calls"], answered: ["Đã trả lời", "Answered"], tickets: ["Phiếu", "Tickets"], resolvedN: ["Hoàn thành", "Resolved"],
  count: ["Số phiếu", "Count"], updatedLive: ["Cập nhật trực tiếp", "Live"],
  socialListening: ["Dư luận mạng xã hội", "Social listening"], socialTopics: ["Chủ đề nổi bật", "Topics"], socialSpikes: ["Tăng đột biến", "Spikes"],
  noSpikes: ["Không có đột biến", "No spikes"], unplaced: ["Phiếu chưa xác định phường/xã", "Tickets without a ward"], topic: ["Chủ đề", "Topic"], posts: ["Bài viết", "Posts"], hours: ["giờ", "hours"],
  sentiment: ["Sắc thái", "Sentiment"], negative: ["Tiêu cực", "Negative"],
  groupBy_keyword: ["Từ khóa", "Keyword"], groupBy_topic: ["Chủ đề", "Topic"], groupBy_category: ["Lĩnh vực", "Category"], groupBy_ward: ["Phường/Xã", "Ward"],
  // administration
  users: ["Người dùng", "Users"], role: ["Vai trò", "Role"], name: ["Họ tên", "Name"], departments: ["Đơn vị", "Departments"],
  units: ["Đơn vị hành chính", "Administrative units"], categories: ["Lĩnh vực", "Categories"], rules: ["Quy tắc điều phối", "Routing rules"],
  disabled: ["Đã khóa", "Disabled"], active: ["Hoạt động", "Active"], acceptHours: ["Giờ tiếp nhận", "Accept hours"], answerDays: ["Ngày trả lời", "Answer days"],
  codeKey: ["Mã", "Code"], nameOf: ["Tên", "Name"], sipExtension: ["Số máy lẻ", "Extension"], email: ["Thư điện tử", "Email"],
  kind: ["Loại", "Kind"], kind_agency: ["Sở, ngành", "Agency"], kind_commune_committee: ["UBND phường/xã", "Commune committee"], kind_utility: ["Doanh nghiệp dịch vụ", "Utility"],
  level: ["Cấp", "Level"], level_province: ["Tỉnh/thành phố", "Province"], level_ward: ["Phường", "Ward"], level_commune: ["Xã", "Commune"],
  unitOf: ["Thuộc đơn vị hành chính", "Administrative unit"], telegramChat: ["Nhóm Telegram (chat id)", "Telegram chat id"], parent: ["Đơn vị cấp trên", "Parent"],
  aliases: ["Tên cũ, tên gọi khác", "Former names, aliases"], lat: ["Vĩ độ tâm", "Centroid latitude"], lng: ["Kinh độ tâm", "Centroid longitude"],
  local: ["Cấp xã", "Local"], localHelp: ["Do UBND phường/xã nơi xảy ra xử lý", "Handled by the ward/commune committee where it happens"],
  order: ["Thứ tự", "Order"], keywords: ["Từ khóa", "Keywords"], committee: ["UBND phường/xã nơi xảy ra", "The ward/commune committee of the place"],
  question: ["Câu hỏi", "Question"], variants: ["Cách hỏi khác (mỗi dòng một câu)", "Other wordings (one a line)"], faqAnswer: ["Câu trả lời", "Answer"], source: ["Nguồn", "Source"],
  passwordHint: ["(để trống: giữ mật khẩu cũ; ít nhất 8 ký tự)", "(blank keeps the old one; at least 8 characters)"],
  staleRecord: ["Bản ghi vừa được người khác thay đổi; đã tải lại, vui lòng sửa lại.", "Someone changed this record meanwhile; reloaded, please edit again."],
  confirmDelete: ["Xóa bản ghi này?", "Delete this record?"], edit: ["Sửa", "Edit"], add: ["Thêm mới", "Add"], delete: ["Xóa", "Delete"], records: ["bản ghi", "records"], saved: ["Đã lưu", "Saved"],
  tab_users: ["Người dùng, vai trò", "Users and roles"], tab_departments: ["Đơn vị xử lý", "Departments"], tab_units: ["Đơn vị hành chính", "Administrative units"],
  tab_categories: ["Lĩnh vực, thời hạn", "Categories, deadlines"], tab_rules: ["Quy tắc điều phối", "Routing rules"], tab_calendar: ["Lịch làm việc", "Working calendar"],
  tab_dialplan: ["IVR, hàng đợi", "IVR and queues"], tab_faq: ["Hỏi đáp (FAQ)", "FAQ"], tab_channels: ["Kênh tiếp nhận", "Channels"],
  rt_title: ["Quy tắc nào sẽ điều phối phản ánh này?", "Which rule would route this?"],
  rt_hint: ["Thử điều phối như khi tạo phiếu; không tạo phiếu nào.", "Routes as ticket creation does; no ticket is written."],
  rt_wardHint: ["Mã hoặc tên phường/xã", "Unit code or name"], rt_run: ["Kiểm tra", "Test"], rt_rule: ["Quy tắc", "Rule"],
  rt_noRule: ["Không quy tắc nào khớp", "No rule matched"], rt_staysTriage: ["Không có — phiếu ở lại chờ phân loại", "None — the ticket stays in triage"],
  rt_why_rule: ["Quy tắc «{0}» ({1}) là quy tắc đầu tiên khớp.", "Rule «{0}» ({1}) is the first that matches."],
  rt_why_keyword: ["Từ khóa «{0}» có trong nội dung.", "Keyword «{0}» is in the text."],
  rt_why_committee: ["Không quy tắc nào khớp; lĩnh vực {0} do UBND phường/xã nơi xảy ra xử lý.", "No rule matches; {0} is handled by the ward/commune committee of the place."],
  rt_why_default: ["Không quy tắc nào khớp: đơn vị mặc định của lĩnh vực {0}.", "No rule matches: the default department of {0}."],
  rt_why_none: ["Không quy tắc nào khớp và lĩnh vực {0} không có đơn vị mặc định.", "No rule matches and {0} has no default department."],
  rt_why_incomplete: ["Cần cả lĩnh vực và phường/xã để điều phối tự động.", "Automatic routing needs both a category and a ward."],
  ch_hint: ["Chỉ xem: cấu hình trong tệp cấu hình hoặc biến môi trường IOC1022_*; khóa bí mật luôn được che.", "Read-only: set in the config file or IOC1022_* variables; secrets are always masked."],
  ch_zalo: ["Zalo OA", "Zalo OA"], ch_facebook: ["Facebook Messenger", "Facebook Messenger"], ch_telegram: ["Telegram", "Telegram"],
  ch_email: ["Thư điện tử", "Email"], ch_webchat: ["Chat trên web và ứng dụng", "Web chat and app"],
  ch_on: ["Đang bật", "On"], ch_off: ["Đang tắt", "Off"], ch_needs: ["Để bật, cần đặt", "To turn it on, set"], ch_needsAny: ["Để bật, cần đặt một trong", "To turn it on, set one of"], ch_mode: ["Cách nhận tin", "Receives by"],
  ch_mode_webhook: ["Webhook", "Webhook"], ch_mode_long_polling: ["Hỏi định kỳ (long polling)", "Long polling"], ch_mode_imap: ["IMAP", "IMAP"], ch_mode_websocket: ["WebSocket", "WebSocket"],
  ch_webhook: ["Địa chỉ webhook", "Webhook"], ch_window: ["Thời hạn trả lời", "Reply window"], ch_noWindow: ["Không giới hạn", "None"],
  ch_windowHours: ["{0} giờ sau tin nhắn cuối của công dân", "{0} h after the citizen's last message"], ch_freeReplies: ["tối đa {0} tin", "at most {0} replies"],
  ch_humanHours: ["tổng đài viên: {0} giờ", "agents: {0} h"], ch_secrets: ["Khóa bí mật", "Secrets"], ch_key: ["Khóa cấu hình", "Config key"],
  ch_env: ["Biến môi trường", "Environment variable"], ch_value: ["Giá trị", "Value"], ch_notSet: ["Chưa đặt", "Not set"], ch_set: ["Đã đặt", "Set"],
  ch_generated: ["Hệ thống tự tạo", "Generated by the node"], ch_general: ["Thiết lập chung", "General"],
  calendarHint: ["Thời hạn tiếp nhận và trả lời được tính trên giờ làm việc của lịch này.", "Accept and answer deadlines are counted in the working time of this calendar."],
  workingHours: ["Giờ làm việc (HH:MM-HH:MM, cách nhau bởi dấu phẩy)", "Working hours (HH:MM-HH:MM, comma-separated)"], workingWeekdays: ["Ngày làm việc trong tuần", "Working weekdays"],
  holidays: ["Ngày nghỉ lễ", "Holidays"], workingDays: ["Ngày làm bù", "Make-up working days"], datedHint: ["(mỗi dòng: YYYY-MM-DD tên)", "(one a line: YYYY-MM-DD name)"],
  badDateLine: ["{0}, dòng {1}: \"{2}\" không có dạng YYYY-MM-DD tên", "{0}, line {1}: \"{2}\" is not YYYY-MM-DD name"],
  wd_mon: ["Thứ Hai", "Mon"], wd_tue: ["Thứ Ba", "Tue"], wd_wed: ["Thứ Tư", "Wed"], wd_thu: ["Thứ Năm", "Thu"], wd_fri: ["Thứ Sáu", "Fri"], wd_sat: ["Thứ Bảy", "Sat"], wd_sun: ["Chủ Nhật", "Sun"],
  queues: ["Hàng đợi", "Queues"], menus: ["Menu IVR", "IVR menus"], trunks: ["Trung kế", "Trunks"], members: ["Tổng đài viên", "Members"], strategy: ["Cách phân cuộc gọi", "Strategy"],
  ringTimeout: ["Đổ chuông", "Ring"], maxWait: ["Chờ tối đa", "Max wait"], overflow: ["Khi quá hạn chờ", "Overflow"], prompt: ["Lời chào", "Prompt"], noInput: ["Không bấm phím", "No input"],
  ivr_queue: ["Hàng đợi", "Queue"], ivr_ticket: ["Tạo phiếu", "Ticket"], ivr_voicemail: ["Ghi âm lời nhắn", "Voicemail"], ivr_callback: ["Gọi lại", "Callback"], ivr_menu: ["Menu", "Menu"], ivr_hangup: ["Gác máy", "Hang up"], ivr_transfer: ["Chuyển số", "Transfer"],
  editDialplan: ["Sửa kế hoạch quay số (JSON)", "Edit the dialplan (JSON)"],
  dialplanHint: ["Mật khẩu trung kế được che (••••••••); để nguyên thì giữ mật khẩu cũ, nhập mới thì thay.", "Trunk secrets are masked (••••••••): left as is they are kept, typed anew they are replaced."],
  badJson: ["JSON không hợp lệ: {0}", "Invalid JSON: {0}"],
  // citizens
  lookupTitle: ["Tra cứu phiếu phản ánh", "Look up your report"], lookupHint: ["Nhập mã phiếu và 4 số cuối điện thoại đã dùng khi phản ánh.", "Enter the ticket code and the last 4 digits of the phone you reported with."],
  last4: ["4 số cuối điện thoại", "Last 4 phone digits"], lookup: ["Tra cứu", "Look up"], notFound: ["Không tìm thấy phiếu với mã và số điện thoại này.", "No ticket with this code and phone."],
};

let lang = localStorage.getItem("ioc.lang") === "en" ? 1 : 0;

/** t returns the label of key in the current language, with {n} replaced by args[n]. */
export function t(key, ...args) {
  const e = L[key];
  let s = e ? e[lang] : key;
  args.forEach((a, i) => { s = s.replace("{" + i + "}", a); });
  return s;
}

/** lang returns "vi" or "en". */
export const currentLang = () => (lang ? "en" : "vi");

/** toggleLang switches the language and reloads the page. */
export function toggleLang() {
  localStorage.setItem("ioc.lang", lang ? "vi" : "en");
  location.reload();
}

/** has reports whether key has a label. */
export const has = (key) => key in L;
