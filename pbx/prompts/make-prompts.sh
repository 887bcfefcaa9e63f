#!/bin/sh
# make-prompts.sh writes the PBX's Vietnamese demo prompts as 8 kHz, 16-bit, mono WAV files
# into pbx/prompts/vi/, reproducibly: the same espeak-ng and sox versions give the same bytes.
# Needs the Debian packages espeak-ng and sox. Administrators replace any file by uploading
# their own recording through the API (PUT /api/v1/pbx/prompts/{name}).
set -eu
cd "$(dirname "$0")/vi"

say() { # say NAME TEXT
	espeak-ng -v vi -s 150 -w "/tmp/prompt-$$.wav" "$2"
	sox -q -D -R "/tmp/prompt-$$.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1.wav" gain -n -3
	rm -f "/tmp/prompt-$$.wav"
}

say welcome "Xin chào, đây là đường dây nóng một không hai hai."
say main_menu "Phản ánh, kiến nghị, bấm phím một. Tra cứu kết quả phiếu, bấm phím hai. Để lại lời nhắn, bấm phím ba."
say after_hours "Hiện ngoài giờ làm việc. Để lại lời nhắn, bấm phím một. Yêu cầu gọi lại, bấm phím hai."
say invalid "Lựa chọn không hợp lệ."
say queue_wait "Tất cả điện thoại viên đang bận, xin quý vị vui lòng chờ."
say position "Quý vị đang ở vị trí số"
say wait_minutes "Thời gian chờ dự kiến, số phút là"
say callback_offer "Thời gian chờ còn dài. Để được gọi lại, bấm phím một. Để tiếp tục chờ, bấm phím hai."
say callback_ok "Chúng tôi đã ghi nhận số điện thoại và sẽ gọi lại quý vị. Xin cảm ơn."
say voicemail "Xin để lại lời nhắn sau tiếng bíp, bấm phím thăng để kết thúc."
say voicemail_ok "Lời nhắn của quý vị đã được ghi nhận. Xin cảm ơn."
say enter_code "Xin nhập mã phiếu, kết thúc bằng phím thăng."
say not_found "Không tìm thấy phiếu này."
say ticket "Phiếu"
say status_new "đã được tiếp nhận."
say status_assigned "đã được chuyển đơn vị xử lý."
say status_in_progress "đang được xử lý."
say status_answered "đã có kết quả trả lời."
say status_resolved "đã được giải quyết."
say status_closed "đã đóng."
say status_rejected "không được tiếp nhận."
say status_merged "đã được gộp với phiếu khác."
say due "Hạn xử lý, ngày"
say month "tháng"
say goodbye "Xin cảm ơn quý vị đã gọi. Xin chào."
for d in 0:không 1:một 2:hai 3:ba 4:bốn 5:năm 6:sáu 7:bảy 8:tám 9:chín; do
	say "digit_${d%%:*}" "${d#*:}"
done
sox -q -n -r 8000 -c 1 -b 16 -e signed-integer beep.wav synth 0.4 sine 1000 vol 0.5
# Music on hold: a soft two-tone chime, 4 s, looped by the PBX.
sox -q -n -r 8000 -c 1 -b 16 -e signed-integer hold.wav synth 0.5 sine 523 synth 0.5 sine 659 : synth 3 sine 0 vol 0 2>/dev/null ||
	sox -q -n -r 8000 -c 1 -b 16 -e signed-integer hold.wav synth 4 sine 440 vol 0.1
