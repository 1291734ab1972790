# Not yet reviewed by a native speaker.
## ཆོག་མཆན་ཡིག་ཆའི་གློག་རྡུལ་ཐམ་ག་ར་སྤྲོད།
notice-check-title = ཆོག་མཆན་ཡིག་ཆ་ར་སྤྲོད།
notice-check-valid = གློག་རྡུལ་ཐམ་ག་ནུས་ལྡན།
notice-check-valid-detail = ཡིག་ཆ་འདིར་{ $department }ཡི་གློག་རྡུལ་ཐམ་ག་བརྒྱབ་ཡོད། མིང་རྟགས་ནུས་ལྡན་ཡིན་པ་དང་། ཡིག་ཆ་བཏང་རྗེས་བཟོ་བཅོས་བྱས་མེད།
notice-check-forged = གློག་རྡུལ་ཐམ་ག་ནུས་མེད།
notice-check-forged-signature = ཐམ་ག་དེ་བཏང་མཁན་སྡེ་ཚན་གྱི་ལྡེ་མིག་དང་མི་མཐུན། ཡང་ན་སྟེགས་བུ་འདིའི་སྡེ་ཚན་གྱི་ཐམ་ག་མིན། ཡིག་ཆ་འདི་ལ་བརྟེན་མི་རུང་། བཏང་མཁན་སྡེ་ཚན་ལ་འབྲེལ་བ་གནང་རོགས།
notice-check-forged-changed = ཡིག་ཆ་དང་གློག་རྡུལ་ཐམ་ག་མི་མཐུན། བཟོ་བཅོས་བྱས་སྲིད། བཏང་མཁན་སྡེ་ཚན་ལ་འབྲེལ་བ་གནང་རོགས།
notice-check-forged-malformed = གློག་རྡུལ་ཐམ་གའི་རྣམ་གཞག་ནོར་འདུག བཏང་མཁན་སྡེ་ཚན་ལ་འབྲེལ་བ་གནང་རོགས།
notice-check-issuer = བཏང་མཁན་ལས་ཁུངས།
notice-check-kind = ཡིག་ཆའི་མིང་།
notice-check-number = ཡིག་ཆའི་ཨང་རྟགས།
notice-check-issued = བཏང་བའི་ཚེས་གྲངས།
notice-check-tracking = ལས་དོན་ཨང་རྟགས།
notice-check-applicant = རེ་ཞུ་བ།
notice-check-kid = མིང་རྟགས་ལྡེ་མིག
notice-check-digest = ཡིག་ཆའི་སྙིང་བསྡུས། (SHA-256)
notice-check-compare = གནས་ཚུལ་འདི་དག་ཁྱེད་ཀྱི་ལག་ཏུ་ཡོད་པའི་ཡིག་ཆ་དང་བསྡུར་རོགས། ཨང་རྟགས་དང་ཚེས་གྲངས། ལས་དོན་ཨང་རྟགས། སྙིང་བསྡུས་བཅས་ཤོག་བུ་སྟེང་གི་དང་གཅིག་མཚུངས་ཡིན་དགོས།
notice-check-seal = གློག་རྡུལ་ཐམ་གའི་མ་ཡིག
notice-check-seal-hint = POST /api/v1/notices/verify བརྒྱུད་རང་ཉིད་ཀྱིས་ར་སྤྲོད་བྱེད་ཆོག བཏང་མཁན་སྡེ་ཚན་གྱི་སྤྱི་སྤྱོད་ལྡེ་མིག་ནི་ /.well-known/jwt-vc-issuer/departments/ འོག་ཏུ་ཡོད།
