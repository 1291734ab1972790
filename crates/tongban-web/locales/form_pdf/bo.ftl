## Application forms as PDF. Tibetan PDFs need text shaping: this locale is served the zh-CN
## PDF (guide_pdf::pdf_locale), and the link says so. The strings after the link appear only
## inside PDFs, so they are never shown in Tibetan; they stay in Chinese to keep the key set whole.

form-pdf-download = རེ་འདུན་རེའུ་མིག་སྟོང་པ་ཕབ་ལེན། (PDF, རྒྱ་ཡིག)
form-pdf-download-hint = པར་བསྐྲུན་ནས་ལག་བྲིས་གྱིས་བཀང་སྟེ་ལས་ཁུངས་སུ་ཁྱེར་ཤོག བོད་ཡིག་གི་ PDF ད་དུང་མེད་པས་རྒྱ་ཡིག་པར་གཞི་སྤྲོད་ཀྱི་ཡོད།
form-pdf-title = { $service }申请表
form-pdf-blank-caption = 空白申请表
form-pdf-filled-caption = 在线申请记录
form-pdf-instructions = 请用黑色或蓝黑色墨水笔以正楷填写，在所选项前的方框内打勾。标有“（选填）”的项目可以不填。
form-pdf-online = 也可在线申请：{ $url }
form-pdf-optional = （选填）
form-pdf-only-some = 仅部分申请人需要填写。
form-pdf-only-if = 仅当“{ $question }”的回答为以下之一时填写：
form-pdf-choose-one = 请选择一项。
form-pdf-choose-many = 可选择多项。
form-pdf-date-blank = ________年____月____日
form-pdf-range-blank = 自 ________年____月____日 至 ________年____月____日
form-pdf-money-blank = ____________________ 元
form-pdf-address-blank = ________省（自治区、直辖市）________市（地区、州）________区（县）
form-pdf-street = 街道、门牌号：
form-pdf-group-rows = 每行填写一位{ $item }。
form-pdf-group-max = 最多 { $count } 行。
form-pdf-attach = 请将此项材料随申请表一并提交。
form-pdf-attach-formats = 电子版格式：{ $formats }
form-pdf-attach-count = 最多 { $count } 份
form-pdf-attach-size = 每份不超过 { $size }
form-pdf-declaration = 申请人承诺
form-pdf-signature = 申请人（签名）：________________________
form-pdf-signature-date = 日期：________年____月____日
form-pdf-tracking = 受理编号
form-pdf-submitted = 提交时间
form-pdf-declared = 申请人已在线勾选确认上述承诺。
form-pdf-yes = 是
form-pdf-no = 否
form-pdf-range-to = {" 至 "}
form-pdf-not-answered = 未填写
form-pdf-cert-blank = 使用电子证照的，由办理部门在线核验，无需附复印件。
form-pdf-cert-consent = 同意办理部门为本次申请调取并核验上述电子证照
form-pdf-cert-shared-wallet = 已使用申请人的电子证照（已授权）
form-pdf-cert-shared-fetch = 由平台向发证部门调取（已授权）
