## Administration: the tools index and staff accounts (crates/tongban-web/src/admin).

admin-title = 管理
admin-tool-staff = 工作人员账号
admin-tool-staff-hint = 新建工作人员账号，授予或收回角色，停用账号，重置登录凭据。
no-access-title = 无权访问
no-access-message = 您的账号没有访问此页面的权限。如需权限，请联系本单位的安全管理员。

staff-title = 工作人员账号
staff-intro = 这里列出您可以管理的工作人员账号。角色变更后，该工作人员需要重新登录。
staff-add = 新建工作人员账号
staff-none = 暂无可管理的工作人员账号。
staff-table-caption = 工作人员账号及其角色
staff-name = 姓名
staff-username = 用户名
staff-department = 部门
staff-roles = 角色
staff-status = 状态
staff-region-wide = 全区域（不属于某个部门）
staff-active = 正常
staff-disabled = 已停用
staff-enrolled = 已绑定
staff-not-enrolled = 未绑定身份验证器
staff-authenticator = 身份验证器
staff-password = 密码
staff-password-must-change = 首次登录时须修改管理员设置的密码
staff-no-roles = 该账号目前没有任何角色。
staff-actions = 账号操作
staff-revoke = 收回
staff-grant-title = 授予角色
staff-grant-hint = 同一账号不得同时担任系统管理员、安全管理员、安全审计员中的两种（三员分立）。
staff-grant-department-hint = 部门角色在所选部门内有效；不选则使用该工作人员所在部门。
staff-grant = 授予角色
staff-disable = 停用账号
staff-disable-hint = 停用后，该账号立即退出所有登录，无法再登录，直至重新启用。
staff-enable = 重新启用账号
staff-reset = 重置登录凭据
staff-reset-hint = 用于忘记密码或丢失手机：生成新的初始密码，并清除身份验证器和恢复码。该工作人员须重新绑定身份验证器。

staff-new-title = 新建工作人员账号
staff-new-intro = 工作人员不能自行注册。新建后，系统会生成一次性初始密码，请当面或通过安全渠道交给本人；首次登录时须修改密码并绑定身份验证器。
staff-username-hint = 3 至 32 位小写字母、数字、点、下划线或连字符，以字母开头，例如 zhang.wei。
staff-roles-hint = 至少选择一个角色。只显示您有权授予的角色。
staff-role-departmental = （在所属部门内有效）
staff-create = 新建账号

staff-initial-title = 初始密码
staff-initial-intro = 此密码只显示这一次，不会保存明文。请交给本人，不要通过短信或电子邮件发送。
staff-initial-next = 本人首次登录后须绑定身份验证器并设置自己的密码。
staff-created = 已新建工作人员账号 { $username }。
staff-reset-done = 已重置 { $username } 的登录凭据，其所有登录已退出。
staff-back-to-member = 查看该账号

staff-done-granted = 已授予角色。该工作人员需要重新登录。
staff-done-revoked = 已收回角色。该工作人员需要重新登录。
staff-done-disabled = 账号已停用，所有登录已退出。
staff-done-enabled = 账号已重新启用。

staff-error-username-format = 用户名须为 3 至 32 位小写字母、数字、点、下划线或连字符，并以字母开头
staff-error-username-taken = 该用户名已被使用，请换一个
staff-error-name = 请输入姓名
staff-error-department = 请选择本区域的一个部门
staff-error-roles-missing = 请至少选择一个角色
staff-error-role-not-grantable = 您无权授予该角色
staff-error-role-needs-department = 部门角色须属于某个部门，请选择部门
staff-error-separation = 系统管理员、安全管理员、安全审计员三种角色不能由同一账号兼任，安全审计员也不能兼任其他角色
staff-error-own-account = 管理员不能变更自己账号的角色或状态，请由另一位管理员操作。

password-required-notice = 您的密码由管理员设置。继续之前，请设置只有您自己知道的新密码。
password-expired-notice = 您的密码已超过本平台规定的更换周期。继续之前，请设置新密码。

admin-tool-oidc = 单点登录接入系统
admin-tool-oidc-hint = 登记各部门接入统一身份认证（OpenID Connect）的业务系统，停用或重置其密钥。
admin-tool-audit = 审计日志
admin-tool-audit-hint = 查阅本区域的操作记录，校验日志是否被篡改。
audit-title = 审计日志
audit-intro = 本区域的全部操作记录，最新的在前。每条记录的哈希值包含前一条记录，任何修改或删除都会被校验发现。您的每次查阅也会被记录。
audit-verify = 校验日志完整性
audit-verify-hint = 重新计算整条哈希链。日志很长时需要一些时间。
audit-chain-intact = 日志完整：{ $count } 条记录均未被修改或删除。
audit-chain-broken = 日志已被篡改：第 { $seq } 条记录处哈希链断裂。请立即报告安全管理部门。
audit-action = 操作
audit-action-hint = 按开头筛选，例如 identity.login 或 identity.
audit-outcome = 结果
audit-outcome-any = 全部
audit-outcome-success = 成功
audit-outcome-failure = 失败
audit-outcome-denied = 拒绝
audit-filter = 筛选
audit-none = 没有符合条件的记录。
audit-caption = 操作记录，最新的在前
audit-when = 时间
audit-who = 操作人
audit-for = 代 { $name } 办理
audit-from = 来源地址
audit-detail = 详情
audit-older = 更早的记录
