# Notification templates: Simplified Chinese. Each template has a -title and a -body (inbox,
# email subject and text) and, where it is sent by SMS, an -sms text (short, with the site name).

register-code-sms = 【{ $site }】您的注册验证码是 { $code }，{ $minutes } 分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。

welcome-title = 欢迎使用{ $site }
welcome-body = 您的账号已开通。今后办理各部门的事项，都用这一个账号登录。您可以在「我的账号」中查看登录设备、修改密码和下载您的数据。

id-dispute-title = 有人试图用您的证件号码注册
id-dispute-body = 有人试图用您的证件号码注册新账号，注册没有成功，您的账号不受影响。如果这是您本人，请直接登录；如有疑问，请携带身份证到任一政务服务大厅核实。
id-dispute-sms = 【{ $site }】有人试图用您的证件号码注册新账号，未成功，您的账号不受影响。如有疑问请携带身份证到政务服务大厅核实。

sms-copy-title = 短信（演示环境，未真正发送）
sms-copy-body = { $text }

reset-code-sms = 【{ $site }】您正在重设密码，验证码是 { $code }，{ $minutes } 分钟内有效。如果不是您本人操作，请忽略本短信，您的密码不会改变。

password-reset-title = 您的密码已重设
password-reset-body = 您的密码已通过短信验证码重设，其他设备上的登录已全部退出。如果不是您本人操作，请立即再次重设密码，并携带身份证到政务服务大厅核实。

lockout-title = 您的账号因多次密码错误被暂时锁定
lockout-body = 有人连续多次输入了错误的密码，为保护您的账号，登录已暂时锁定，几分钟后自动解除。如果不是您本人，请登录后修改密码，必要时在「我的账号」中退出所有设备。
lockout-sms = 【{ $site }】您的账号因多次密码错误被暂时锁定，几分钟后自动解除。如非本人操作，请及时修改密码。

# E-mail: codes have no inbox text, so they have their own subject and body.
reset-code-email-subject = 您的密码重置验证码
reset-code-email-body = 您的密码重置验证码是 { $code }，{ $minutes } 分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。如果不是您本人申请重置密码，请忽略本邮件，您的密码不会改变。

email-verify-email-subject = 请验证您的电子邮箱
email-verify-email-body = 您正在把此电子邮箱添加到您的账户。验证码是 { $code }，{ $minutes } 分钟内有效。请在“我的账户”页面输入验证码。如果不是您本人操作，请忽略本邮件，此邮箱不会被添加。

password-reset-email-title = 您的密码已重置
password-reset-email-body = 您的密码已通过发送到您电子邮箱的验证码重置，您在其他设备上的登录均已退出。如果不是您本人操作，请立即再次重置密码，并携带身份证到政务服务大厅处理。

email-changed-title = 您账户的电子邮箱已更改
email-changed-body = 您账户的电子邮箱已更改为 { $email }，验证码和通知今后将发送到该邮箱。如果不是您本人操作，请立即修改密码，并携带身份证到政务服务大厅处理。

email-removed-title = 您账户的电子邮箱已删除
email-removed-body = 您已从账户中删除电子邮箱，今后不会再向该邮箱发送通知，也不能再通过该邮箱重置密码。如果不是您本人操作，请立即修改密码。

email-copy-title = 电子邮件（演示：并未真正发送）：{ $subject }
email-copy-body = { $text }

mandate-granted-title = { $principal }授权您代为办事
mandate-granted-body = { $principal }授权您代为办理政务服务事项，授权有效至 { $expires }。登录后在「我代办的人和企业」中切换身份即可代为办理，每一项操作都会记录是谁代谁办理。如果您不认识授权人，请联系政务服务热线。
mandate-granted-sms = 【{ $site }】{ $principal }授权您代为办理政务服务事项，有效至 { $expires }。登录后在「我代办的人和企业」中切换身份。

mandate-revoked-title = { $principal }已撤销对您的授权
mandate-revoked-body = { $principal }撤销了对您的代办授权，您已不能再代其办理事项；如果您正在代其办理，已自动切换回您本人。
mandate-revoked-sms = 【{ $site }】{ $principal }已撤销对您的代办授权，您已不能再代其办理事项。

enterprise-claim-title = 有人试图登记您代表的企业
enterprise-claim-body = 有人试图以法定代表人身份登记「{ $enterprise }」，该企业已由您登记，登记没有成功，您的企业不受影响。如有疑问，请联系市场监督管理部门或政务服务热线。
enterprise-claim-sms = 【{ $site }】有人试图登记您代表的企业「{ $enterprise }」，未成功，您的企业不受影响。

# 网上申请
case-submitted-title = 您的申请已提交：{ $tracking_number }
case-submitted-body = 您的“{ $service }”申请已提交，办件编号为 { $tracking_number }。受理、需要补正和办结时我们都会通知您；您也可以在“我的申请”中随时查看进度。
case-submitted-sms = 【{ $site }】您的“{ $service }”申请已提交，办件编号 { $tracking_number }，请妥善保存。
draft-expiring-title = 您的申请草稿即将删除
draft-expiring-body = 您尚未提交的“{ $service }”申请草稿将于 { $expires } 删除。如需继续办理，请在此之前登录并在“我的申请”中继续填写。

# 办件进度
case-update-title = 办件 { $tracking_number }：{ $action }
case-update-body = 您的“{ $service }”申请（办件编号 { $tracking_number }）已{ $action }，当前环节：{ $state }。{ $tell } { $comment } 您可以在“我的申请”中查看进度和文书。
case-update-sms = 您的“{ $service }”申请（{ $tracking_number }）已{ $action }，当前环节：{ $state }。详情请登录查看。
case-message-title = 关于办件 { $tracking_number } 的消息
case-message-body = 办理“{ $service }”的工作人员给您留言：{ $text }
case-deadline-title = 办件 { $tracking_number } 临近或超过办理时限
case-deadline-body = 办件 { $tracking_number } 的承诺办结日期为 { $due_on }，剩余 { $days } 个工作日（负数表示已超期）。请及时办理。
certificate-revoked-title = 您的电子证照已被注销
certificate-revoked-body = 您持有的“{ $certificate }”已由发证部门注销，理由：{ $reason }。注销后的证照无法再通过核验。如有异议，请联系发证部门；也可以依法申请行政复议或者提起行政诉讼。
