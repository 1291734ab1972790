## Printable guides (PDF). Tibetan PDFs need text shaping: this locale is served the zh-CN PDF,
## and the link says so.

pdf-download = ལས་དོན་ལམ་སྟོན་ཕབ་ལེན། (PDF, རྒྱ་ཡིག)
pdf-download-hint = A4 ཤོག་བུར་པར་སྐྲུན་བྱེད་འོས། བོད་ཡིག་གི་ PDF ད་དུང་མེད་པས་རྒྱ་ཡིག་པར་གཞི་སྤྲོད་ཀྱི་ཡོད།
pdf-generated = བཟོས་པའི་དུས་ཚོད། { $time }
pdf-web-page = དྲ་ངོས་པར་གཞི།
pdf-material-certificate = གློག་རྡུལ་ལག་ཁྱེར།
pdf-material-certificate-yes = ཡིག་ཆ་འདིའི་ཚབ་ཏུ་གློག་རྡུལ་ལག་ཁྱེར་བེད་སྤྱོད་བྱས་ཆོག
