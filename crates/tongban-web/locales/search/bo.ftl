## འཚོལ་བ། ཤོག་ངོས་རེ་རེའི་གོང་གི་འཚོལ་སྒྲོམ་དང་འབྲས་བུའི་ཤོག་ངོས།

search-title = ཞབས་ཞུ་འཚོལ་བ།
search-title-query = “{ $query }” ཡི་འཚོལ་འབྲས།
search-label = ཞབས་ཞུ་འཚོལ་བ།
search-hint = ཞབས་ཞུའི་མིང་ངམ་ཁྱེད་ཀྱིས་སྒྲུབ་དགོས་པའི་བྱ་བ་འབྲི་རོགས། དཔེར་ན། “ཚོང་ལས་ལག་ཁྱེར།” “གཉེན་སྒྲིག” “ལས་མེད།”
search-filters = འདེམས་སྒྲུག
search-filter-department = སྡེ་ཚན།
search-filter-event = བརྗོད་གཞི།
search-filter-audience = ཞབས་ཞུའི་ཡུལ།
search-filter-channel = སྒྲུབ་ཐབས།
search-filter-any = ཚང་མ།
search-submit = འཚོལ།
search-count = “{ $query }” དང་འབྲེལ་བའི་ཞབས་ཞུ་ { $count } རྙེད་སོང་།
search-count-filtered = འདེམས་སྒྲུག་དང་མཐུན་པའི་ཞབས་ཞུ་ { $count } ཡོད།
search-page-of = ཤོག་ངོས་ { $pages } ལས་ཤོག་ངོས་ { $page }
search-pages = འབྲས་བུའི་ཤོག་ངོས།
search-previous = ཤོག་ངོས་སྔ་མ།
search-next = ཤོག་ངོས་རྗེས་མ།
search-none-title = འབྲེལ་ཡོད་ཞབས་ཞུ་མ་རྙེད།
search-none-tips = ཡི་གེ་ནོར་མེད་ལ་ལྟོས། ཚིག་གཞན་བེད་སྤྱོད་གྱིས། ཡང་ན་འདེམས་སྒྲུག་ཉུང་དུ་གཏོང་། སྡེ་ཚན་ནམ་བརྗོད་གཞི་ལྟར་ཡང་འཚོལ་ཆོག
search-none-departments = སྡེ་ཚན་ལྟར་ཞབས་ཞུ་ཡོངས་ལ་ལྟ་བ།
search-none-hotline = ད་དུང་མ་རྙེད་ན། སྲིད་གཞུང་ཞབས་ཞུའི་ཁ་པར་ཐད་ཀར་དུ་ཁ་པར་གཏོང་རོགས།
