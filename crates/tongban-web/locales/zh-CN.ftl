# 通办 interface strings: Simplified Chinese (the default locale).
# Every key here must exist in every other locale; a test enforces it.

site-name = 政务服务网
skip-to-content = 跳到正文
demo-ribbon-title = 演示环境
demo-ribbon-text = 本站数据均为虚构，仅供体验，请勿提交真实个人信息。
prefs-label = 语言和显示
elder-mode-on = 长辈模式
elder-mode-off = 标准模式
nav-label = 主导航
nav-home = 首页
nav-departments = 部门
breadcrumbs-label = 当前位置
list-separator = 、

audience-individual = 个人办事
audience-individual-hint = 面向自然人的服务：就业、社保、婚育、住房、户籍与证明。
audience-enterprise = 法人办事
audience-enterprise-hint = 面向企业和个体工商户的服务：设立登记、经营许可、缴费。

life-event-birth = 生育
life-event-education = 教育
life-event-employment = 就业
life-event-business = 创业
life-event-housing = 住房
life-event-marriage = 婚姻
life-event-social-security = 社保
life-event-retirement = 退休
life-event-health = 医疗卫生
life-event-residence = 户籍居住
life-event-tax = 缴费纳税
life-event-intro = 与「{ $event }」相关的服务事项。

home-title = 首页
home-service-count = 共 { $count } 项服务可以查看办事指南。
home-by-audience = 按办事对象
home-by-life-event = 按主题
home-by-department = 按部门
service-count = { $count } 项服务
list-empty = 暂无服务事项。

department-services = 服务事项
department-contact = 联系方式
department-halls = 办事大厅

contact-hotline = 服务热线
contact-phone = 咨询电话
contact-complaints = 投诉电话
contact-email = 电子邮箱
contact-address = 地址
contact-hours = 办公时间
hall-district = 所在区县
hall-directions = 交通指引

footer-contact = 联系我们
footer-about = 关于本站
footer-platform = 通办：一网通办政务服务平台，开源软件。

guide-caption = 办事指南
kind-administrative-permit = 行政许可
kind-administrative-confirmation = 行政确认
kind-administrative-payment = 行政给付
kind-public-service = 公共服务
kind-other = 其他行政权力
guide-department = 实施部门
guide-audience = 服务对象
guide-channels = 办理渠道
guide-visits = 到现场次数
guide-committed = 承诺时限
guide-statutory = 法定时限
guide-fee = 是否收费
guide-result = 办理结果
guide-contents = 本页内容
guide-conditions = 受理条件
guide-materials = 申请材料
guide-process = 办理流程
guide-fees = 收费标准
guide-time-limits = 办理时限
guide-where = 办理渠道和地点
guide-legal-basis = 设定依据
guide-faq = 常见问题
guide-contact = 咨询与投诉
guide-code = 事项编码
guide-version = 第 { $version } 版
guide-version-since = 版本 { $version } 起施行

channel-online = 网上办理
channel-hall = 窗口办理
channel-online-how = 网上办理：在本平台提交申请和材料，并随时查看办理进度。
channel-hall-how = 窗口办理：携带申请材料到下列办事大厅办理。

visits-none = 无需到现场
visits-one = 最多跑一次
visits-many = 到现场 { $count } 次

time-limit-immediate = 即办
time-limit-days = { $days } 个工作日
time-limit-note = 时限按工作日计算，不含法定节假日；补正材料和依法中止的时间不计入。

materials-none = 本事项无需提交材料。
material-name = 材料名称
material-how = 提交方式
material-required = 是否必需
material-copies = 纸质份数
material-mandatory = 必需
material-optional = 视情况提供
material-no-paper = 无需纸质
material-copies-count = { $count } 份
material-form-upload = 上传电子版或现场出示
material-form-field = 在申请表中填写

fee-free = 不收费
fees-none = 本事项不收取任何费用。
fee-item = 收费项目
fee-amount = 金额
fee-note = 说明
fee-basis = 收费依据

accessibility-title = 无障碍声明
accessibility-intro = 我们希望每个人都能使用本网站办事，包括老年人、残障人士和使用少数民族语言的群众。
accessibility-standard-title = 遵循的标准
accessibility-standard = 本网站按照《信息技术 互联网内容无障碍可访问性技术要求与测试方法》(GB/T 37668-2019) 和 WCAG 2.2 AA 级要求设计和测试。
accessibility-features-title = 您可以
accessibility-feature-elder = 在页面顶部切换「长辈模式」，使用更大的字号、更宽的行距和更简洁的版面；设置会被记住。
accessibility-feature-languages = 在简体中文、英文、维吾尔文和藏文之间切换界面语言，维吾尔文页面从右向左显示。
accessibility-feature-nojs = 在关闭 JavaScript 的情况下完成所有操作。
accessibility-feature-keyboard = 只用键盘浏览全站，并用「跳到正文」链接跳过导航。
accessibility-feature-zoom = 将页面放大到 400% 而不丢失内容。
accessibility-limits-title = 已知的不足
accessibility-limits = 部分服务事项的办事指南尚未提供维吾尔文和藏文译文，暂以中文显示；我们正在逐步补齐。
accessibility-feedback-title = 反馈问题
accessibility-feedback = 如果您在使用中遇到障碍，或需要其他格式的信息，请通过以下方式联系我们，我们将在 5 个工作日内答复。

error-id = 错误编号
error-back-home = 返回首页
not-found-title = 页面不存在
not-found-message = 您访问的页面不存在或已被移除。如果您是通过链接来到这里的，请检查地址是否正确。
server-error-title = 系统出现问题
server-error-message = 很抱歉，系统暂时无法处理您的请求，您的数据没有丢失。请稍后再试；如问题持续，请拨打服务热线并提供下面的错误编号。
too-large-title = 提交的内容过大
too-large-message = 您提交的内容超过了允许的大小。请压缩或拆分文件后重试。

nav-sign-in = 登录
nav-sign-out = 退出
error-summary-title = 请检查以下问题
csrf-title = 表单已过期
csrf-message = 为了保护您的账户安全，这个表单需要重新打开后再提交。请返回上一页，刷新后重试。

login-title = 登录
login-intro = 一个账号办理所有部门的事项。个人用手机号码或身份证号码登录，工作人员用工作账号登录。
login-identifier = 手机号码、身份证号码或工作账号
login-identifier-hint = 例如 13800000001
login-password = 密码
login-submit = 登录
login-error-identifier-missing = 请输入手机号码、身份证号码或工作账号
login-error-password-missing = 请输入密码
login-error-invalid = 账号或密码不正确
login-error-throttled = 尝试次数过多，请在 { $minutes } 分钟后再试
login-demo-title = 演示账号
login-demo-text = 以下虚构账号的密码都是 { $password }。
login-demo-login = 登录名
login-demo-who = 身份

account-title = 我的账号
account-details = 账号信息
account-name = 姓名
account-kind = 账号类型
account-kind-person = 个人
account-kind-staff = 工作人员
account-username = 工作账号
account-id-number = 证件号码
account-mobile = 手机号码
account-email = 电子邮箱
account-masked-note = 为保护隐私，证件号码和手机号码只显示部分数字。
account-roles = 工作角色
account-role = 角色
account-scope = 范围
account-sessions = 登录设备
account-sessions-intro = 以下是您当前登录本平台的浏览器。如有不认识的登录，请退出所有设备并修改密码。
session-started = 登录时间
session-last-seen = 最近使用
session-from = 来源
session-current = 当前
account-sign-out-everywhere = 退出所有设备
account-sign-out-everywhere-hint = 包括当前浏览器在内的所有登录都会结束。

role-front-desk-clerk = 窗口受理
role-reviewer = 审查
role-approver = 审批决定
role-hall-staff = 大厅工作人员
role-content-editor = 内容编辑
role-department-admin = 部门管理员
role-supervisor = 督查
role-system-admin = 系统管理员
role-security-admin = 安全管理员
role-auditor = 安全审计员

account-change-password = 修改密码
account-download-data = 下载我的数据（JSON）
account-download-hint = 包括账号信息、完整证件号码和手机号码、登录设备和操作记录。
account-password-changed = 密码已修改。其他设备上的登录已全部退出。
password-title = 修改密码
password-current = 当前密码
password-new = 新密码
password-new-hint = 至少 10 个字符。可以使用容易记住的一句话；不要使用常见密码，也不要包含姓名、手机号码或证件号码。
password-confirm = 再次输入新密码
password-submit = 修改密码
password-error-current-missing = 请输入当前密码
password-error-wrong-current = 当前密码不正确
password-error-too-short = 新密码至少需要 { $min } 个字符
password-error-too-long = 新密码不能超过 { $max } 个字符
password-error-common = 这个密码太常见，容易被猜到，请换一个
password-error-too-simple = 新密码需要包含小写字母、大写字母、数字、符号中的至少三种
password-error-personal = 新密码不能包含您的姓名、账号、手机号码或证件号码
password-error-mismatch = 两次输入的新密码不一致
password-error-unchanged = 新密码不能与当前密码相同
password-error-throttled = 当前密码错误次数过多，请在 { $minutes } 分钟后再试
