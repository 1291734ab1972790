## Search: the search box in every page's header and the results page

search-title = Search services
search-title-query = Results for “{ $query }”
search-label = Search services
search-hint = Type the name of a service or what you need to do, for example “business licence”, “marriage” or “unemployment”.
search-filters = Filters
search-filter-department = Department
search-filter-event = Life event
search-filter-audience = For
search-filter-channel = How to apply
search-filter-any = Any
search-submit = Search
search-count = { $count ->
    [one] 1 service found for “{ $query }”
   *[other] { $count } services found for “{ $query }”
}
search-count-filtered = { $count ->
    [one] 1 service matches the filters
   *[other] { $count } services match the filters
}
search-page-of = Page { $page } of { $pages }
search-pages = Result pages
search-previous = Previous page
search-next = Next page
search-none-title = No services found
search-none-tips = Check the spelling, try other words, or remove a filter. You can also look by department or life event:
search-none-departments = Browse all services by department
search-none-hotline = Still cannot find it? Call the government service hotline
