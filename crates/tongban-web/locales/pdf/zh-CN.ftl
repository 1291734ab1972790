## Printable guides (PDF)

pdf-download = 下载办事指南（PDF）
pdf-download-hint = 适合 A4 纸打印。
pdf-generated = 生成于 { $time }
pdf-web-page = 网页版
pdf-material-certificate = 电子证照
pdf-material-certificate-yes = 可用电子证照代替本材料
