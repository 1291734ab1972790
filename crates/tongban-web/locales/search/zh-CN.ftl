## 搜索：每页页头的搜索框、搜索结果页

search-title = 搜索事项
search-title-query = “{ $query }”的搜索结果
search-label = 搜索事项
search-hint = 输入事项名称或您要办的事，例如“营业执照”“结婚”“失业”。
search-filters = 筛选
search-filter-department = 部门
search-filter-event = 主题
search-filter-audience = 服务对象
search-filter-channel = 办理方式
search-filter-any = 不限
search-submit = 搜索
search-count = 找到 { $count } 个与“{ $query }”相关的事项
search-count-filtered = 共 { $count } 个事项符合筛选条件
search-page-of = 第 { $page } 页，共 { $pages } 页
search-pages = 翻页
search-previous = 上一页
search-next = 下一页
search-none-title = 没有找到相关事项
search-none-tips = 请检查错别字，换一个说法，或减少筛选条件。您也可以按部门或主题查找：
search-none-departments = 按部门浏览全部事项
search-none-hotline = 仍然找不到？请拨打政务服务便民热线
