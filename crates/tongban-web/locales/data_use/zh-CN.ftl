## 数据使用记录：哪个部门因何事使用了我的证照信息

data-use-title = 数据使用记录
data-use-back = 我的账户
data-use-intro = 每当有部门通过本平台使用您电子证照上的信息，都会在这里留下记录：哪个部门、用于哪项办事、使用了哪些信息、依据您的哪次授权。
data-use-empty = 目前没有部门使用过您的证照信息。
data-use-when = 时间
data-use-purpose = 用途
data-use-issuer = 信息来源
data-use-fields = 使用的信息
data-use-basis = 依据
data-use-how-application = 您在提交申请时同意提供
data-use-how-api = 部门系统经您授权后调取
data-use-reference = 授权编号
data-use-evidence = 每条记录都由使用信息的部门签名，并与前后记录串联成不可篡改的链条；平台运维人员可用 tongban exchange verify-log 核验。如对某次使用有疑问，请拨打 12345 或向使用部门提出。
