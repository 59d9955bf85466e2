"""The written shapes of identifiers: e-mail, record numbers, dates, phone numbers, addresses,
postcodes, handles. Each is (kind, pattern); the scrubber applies them in order, so a later
pattern never sees what an earlier one replaced. Names are found by `identifiers` (the
recogniser plus cues), not here, except those written in a non-Latin script."""

from __future__ import annotations

import re

# Month names in English and in the languages clinicians' patients most often write dates in.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|"
    r"octubre|noviembre|diciembre|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|"
    r"novembre|d[ée]cembre|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|wrze[sś]nia|"
    r"pa[zź]dziernika|listopada|grudnia|ianuarie|februarie|martie|aprilie|iunie|iulie|august|septembrie|"
    r"octombrie|noiembrie|decembrie|janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|novembro|"
    r"dezembro|Januar|Februar|M[äa]rz|Juni|Juli|Oktober|Dezember)\.?"
)
_WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:(?:19|20)\d{2}|'?\d{2})"
_STREET_TYPE = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Crescent|Cres|"
    r"Terrace|Boulevard|Blvd|Highway|Hwy|Parkway|Pkwy|Square|Sq|Gardens|Grove|Row|Mews|Walk|Hill|Park|"
    r"Circle|Cir|Trail|Trl|Drove|Strasse|Straße|Str)\b\.?"
)
_LOWER_STREET_TYPE = r"(?i:street|st|road|rd|avenue|ave|lane|ln|blvd|boulevard|drive|dr)\b\.?"
_PREFIX_STREET = r"(?i:rue|boul\.?|boulevard|av\.|chemin|strada|str\.|calle|avenida|via|rua|ul\.|ulica|aleja|al\.)"
_FLAT = (
    r"(?:(?i:apt|apartment|flat|unit|suite|ste|room|rm|app|ap|caravan|plot|block|house|nr)\.?\s*#?\s*\d+[A-Za-z]?"
    r"|#\s?\d+[A-Za-z]?)"
)
_LETTER = r"A-Za-z\u00C0-\u024F\u1E00-\u1EFF"
NAME_WORD = rf"[A-Z\u00C0-\u00DE\u0100-\u024F\u1E00-\u1EFF][\w{_LETTER[6:]}'’\-]+"
LOWER_NAME_WORD = rf"[a-z\u00DF-\u00FF\u0100-\u024F\u1E00-\u1EFF][\w{_LETTER[6:]}'’\-]+"
_STREET_NAME = rf"(?:(?:{NAME_WORD}|\d+(?:st|nd|rd|th)|[NSEW]\.?)\s+){{0,3}}"
_NON_LATIN = (
    r"\u0370-\u03FF\u0400-\u052F\u0530-\u058F\u0590-\u05FF\u0600-\u06FF\u0750-\u077F\u0900-\u0DFF\u0E00-\u0E7F"
    r"\u10A0-\u10FF\u1100-\u11FF\u1200-\u139F\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF"
)
_RECORD_LABEL = (
    r"NHS(?:\s*(?:number|no\.?|#))?|MRN|medical record(?:\s*(?:number|no\.?))?|record\s*(?:number|no\.?)|"
    r"(?:hosp(?:ital)?|clinic|unit|patient|chart|case|file|crime|incident|intake|referral|NRM|MASH|ref(?:erence)?)\.?\s*(?:number|no\.?|#|ref(?:erence)?)|"
    r"SSN|social security(?:\s*(?:number|no\.?))?|SIN|social insurance(?:\s*(?:number|no\.?))?|"
    r"health\s*card(?:\s*(?:number|no\.?))?|OHIP(?:\s*(?:number|no\.?))?|RAMQ|MSP|PPSN?|IHI|CHI(?:\s*(?:number|no\.?))?|"
    r"H&C(?:\s*(?:number|no\.?))?|BRP(?:\s*(?:number|no\.?))?|A-?number|alien\s*(?:number|no\.?)|Medicaid(?:\s*(?:ID|number|no\.?))?|"
    r"Medicare(?:\s*(?:number|no\.?))?|passport(?:\s*(?:number|no\.?|#))?|visa(?:\s*(?:number|no\.?))?|"
    r"ID\s*(?:number|no\.?|#)|(?:NI|national insurance)\s*(?:number|no\.?)|account(?:\s*(?:number|no\.?))?|sort code|"
    r"(?:number\s*)?plate|reg(?:istration)?(?:\s*(?:number|no\.?|plate))?|rego|CAD|PHN|MBI|IMEI|IBAN|CRN|CIN|VGN|UCI|"
    r"receipt(?:\s*(?:number|no\.?))?|Home Office ref(?:erence)?"
)
_ORDINAL_WORD = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
    r"sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-\w+|thirtieth|thirty-first)"
)
_AFTER_DAY_WORD = "(?:" + "|".join(rf"(?<=\b{w}\s)" for w in ("on", "by", "until", "till", "from", "since", "before", "after", "EDD", "due", "the")) + ")"
_AFTER_DATE_WORD = "(?:" + "|".join(rf"(?<=\b{w}\s)" for w in ("on", "by", "until", "since", "dated", "date", "is")) + ")"
_NUMBER_WORD = r"(?:oh|zero|nought|one|two|three|four|five|six|seven|eight|nine|double|triple)"
_NOT_A_DAY_AFTER = r"(?!\s+(?:floor|time|times|child|baby|pregnancy|week|weeks|day|visit|attendance|birthday|centile|percentile|cycle|dose|year|grade|class|place|row|bed|bay))"

# After the names are out: a postcode after a town ("Surfers Paradise 4217", "[name] 3065", "[name], 95240").
POSTCODE_AFTER_TOWN = re.compile(
    r"(?P<town>\b[A-Z][a-z]{2,15}|\[name\]) (?!(?:19|20)\d\d\b)(?P<code>\d{4,5})\b(?![\s.-]?\d)"
    r"|(?P<town2>\[name\]), (?P<code2>\d{5}(?:-\d{4})?)\b(?![\s.-]?\d)"
)
NOT_TOWNS = {"ward", "room", "bed", "bay", "flight", "route", "bus", "line", "since", "unit", "level", "floor", "page", "step",
             "year", "code", "number", "ext", "extension", "box", "cubicle", "suite", "block", "gate", "platform", "form"}

# Matches with fewer digits than this are left alone (an age range "15-16", a blood pressure "120 80 60").
MIN_DIGITS = {"record number": 6, "phone": 9}

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("email", re.compile(r"(?i)\b[\w.+-]+(?:\s+dot\s+[\w-]+)*\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)+\b")),
    ("handle", re.compile(
        r"(?<![\w@])[@$][A-Za-z_][\w.]{2,}"
        r"|(?i:(?<=username\s)|(?<=username:\s)|(?<=handle:\s)|(?<=snapchat\s)|(?<=snapchat:\s)|(?<=instagram\s)|(?<=instagram:\s)|(?<=tiktok\s))[\w.]{3,}"
    )),
    ("record number", re.compile(
        rf"(?i:\b(?:{_RECORD_LABEL})(?![A-Za-z])\s*(?:is|was|:|-|,)?\s*(?:ending(?:\s+in)?|ends\s+in|last\s+(?:four|4)(?:\s+digits)?)?\s*#?\s*)"
        r"[A-Za-z]{0,5}[- ]?\d[0-9A-Za-z]*(?:[ -/]\d[0-9A-Za-z]*){0,4}(?:[ -][A-Z]{1,4}\b)?\b"
    )),
    ("record number", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")),  # IBAN
    ("record number", re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")),  # UK National Insurance
    ("record number", re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{3}\b")),  # UK number plate
    # Codes mixing capitals and digits (C2G8H41177Q, a CURP), dotted ID numbers (1.023.456.789) and
    # slashed case references (FMU/24/0917).
    ("record number", re.compile(r"(?<![\w.])(?=(?:[A-Z]*\d){4})(?=(?:\d*[A-Z]){2})[A-Z0-9]{8,20}(?![\w.])")),
    ("record number", re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{3}){2,}(?![\w.])")),
    ("record number", re.compile(r"(?<![\w/])[A-Z]{2,6}/\d{2,4}/\d{2,6}(?![\w/])")),
    ("record number", re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")),  # SSN shape
    ("date", re.compile(
        rf"(?i)\b(?:(?:{_WEEKDAY}\s+)?(?:the\s+)?{_DAY}(?:\s+of)?[\s-]+{_MONTH}(?:,?[\s-]+{_YEAR})?(?![\w])"
        rf"|(?:{_WEEKDAY}\s+)?{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?(?![\w])"
        rf"|\d{{4}}[-./]\d{{1,2}}[-./]\d{{1,2}}|\d{{4}}-{_MONTH}-\d{{1,2}}|\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:19|20)?\d{{2}}(?![\w/])"
        rf"|\d{{1,2}}{_MONTH}\d{{2,4}}|\d{{1,2}}\.[ivx]{{1,4}}\.(?:19|20)?\d{{2}}|{_DAY}\s+de\s+{_MONTH}(?:\s+de\s+{_YEAR})?"
        rf"|(?:the\s+)?{_ORDINAL_WORD}\s+of\s+{_MONTH}(?:,?\s+{_YEAR})?"
        rf"|(?:Christmas|New Year'?s|Boxing)\s+(?:Day|Eve)\s+(?:19|20)\d{{2}}"
        rf"|(?:(?:next|last|this)\s+)?{_WEEKDAY}\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)"
        rf"|{_AFTER_DAY_WORD}(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th){_NOT_A_DAY_AFTER}"
        rf"|{_AFTER_DATE_WORD}\d{{1,2}}/\d{{1,2}}(?![\d/])"
        rf"|(?<=DOB\s)(?:19|20)\d{{6}}|(?<=d\.o\.b\s)(?:19|20)\d{{6}})"
    )),
    ("phone", re.compile(
        r"(?<![\w/.+-])(?:\+|00)\d{1,3}[\s.-]?(?:\(0\)\s?)?\(?\d{1,4}\)?[\d\s.-]{5,14}\d(?![\w/-])"
        r"|(?<![\w/.+-])(?:1[\s.-])?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?![\w/-])"
        r"|(?<![\w/.+-])0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?![\w/-])"
        r"|(?<![\w/.+-])\(\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}(?![\w/-])"
    )),
    ("phone", re.compile(rf"(?i)\b(?:{_NUMBER_WORD}[\s,-]+){{6,}}{_NUMBER_WORD}\b")),
    ("record number", re.compile(r"(?<![\w/.-])\d{3}[ ]\d{3}[ ]\d{3,4}(?![\w/-])")),  # NHS and SIN shapes
    ("address", re.compile(
        rf"\b(?:{_FLAT},?\s+)?\d{{1,5}},?\s+{_PREFIX_STREET}\s+(?:{NAME_WORD}\s*){{1,3}}(?:\s*(?:nr\.?\s*)?\d{{1,5}})?(?:,?\s*{_FLAT})?"
        rf"|\b{_PREFIX_STREET}\s+(?:{NAME_WORD}\s+){{1,3}}(?:nr\.?\s*)?\d{{1,5}}(?:/\d{{1,4}})?(?:,?\s*{_FLAT})?"
        rf"|\b(?:{_FLAT},?\s+)?\d{{1,5}}[A-Za-z]?(?:[-/]\d{{1,4}})?,?\s+{_STREET_NAME}{_STREET_TYPE}(?:,?\s*{_FLAT})?"
        rf"|\b(?:{_FLAT},?\s+)?\d{{1,5}}[A-Za-z]?\s+(?:[a-z]+\s+){{1,2}}{_LOWER_STREET_TYPE}(?:,?\s*{_FLAT})?"
        rf"|\b(?:(?:RR|HC|PO|P\.O\.)\s*\d*\s*Box\s*\d+[A-Z]?|RMB\s*\d+|\d+\s+Rural Route\s+\d+|Rural Route\s+\d+)"
        rf"|(?:C/|Calle|Rua|Avenida|Av\.)\s+(?:(?:de|da|do|la|las|los|del)\s+|{NAME_WORD}\s*){{1,4}},?\s*\d{{1,5}}(?:,?\s*(?:\d{{1,2}}º\s*\w+\.?|apto\.?\s*\d+|Int\.\s*\d+|Casa\s*\d+))*"
        rf"|///[a-z]+\.[a-z]+\.[a-z]+"
        rf"|-?\d{{1,3}}\.\d{{3,}},\s*-?\d{{1,3}}\.\d{{3,}}"
        rf"|\b\d{{1,5}}[A-Z]?\s+(?:[A-Z][A-Z'-]+\s+){{1,3}}(?:STREET|ST|ROAD|RD|AVENUE|AVE|LANE|DRIVE|CLOSE|WAY|COURT|PLACE|CRESCENT|TERRACE|GARDENS|GROVE)\b\.?"
        rf"|\b{_FLAT}\b"
    )),
    ("postcode", re.compile(
        r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # UK
        r"|(?i:(?<=postcode\s)|(?<=post code\s)|(?<=pc\s)|(?<=postcode:\s))[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b"
        r"|\b[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d\b"  # Canada
        r"|\b(?:[AC-FHKNPRTV-Y]\d{2}|D6W)\s?[0-9AC-FHKNPRTV-Y]{4}\b"  # Ireland (Eircode)
        r"|(?:(?<=\b[A-Z]{2}\s)|(?<=\b[A-Z]{2},\s)|(?i:(?<=zip\s)|(?<=zip:\s)|(?<=zip code\s)))\d{5}(?:-\d{4})?\b"
        r"|\b\d{5}-\d{4}\b"
        r"|(?:(?<=\b(?:NSW|VIC|QLD|TAS|ACT)\s)|(?<=\b(?:SA|WA|NT)\s))\d{4}\b"  # Australia, after the state
        r"|\b[a-z]{2}\d{1,2}\s\d[a-z]{2}\b"  # UK, in lower case with its space ("ln11 0hr")
        r"|\b[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}\b(?<!\d(?:mg|ml|kg|hr|wk|yo|mm|cm|am|pm))"  # UK, written in lower case
        r"|\b[abceghj-nprstvxy]\d[a-z]\s?\d[a-z]\d\b"  # Canada, in lower case
    )),
    # Numbers in groups (2024-55871, A-087-654-321, 20-45-77): references and account details.
    ("record number", re.compile(r"(?<![\w-])[A-Z]{0,5}-?\d{2,}(?:-\d{2,}){1,4}(?![\w-])")),
    ("record number", re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d[A-Z0-9-]*\d[A-Z0-9-]*\d)[A-Z0-9]{2,5}(?:-[A-Z0-9]{2,5}){2,3}(?![\w-])")),
    ("phone", re.compile(r"(?<![\w.+/-])\d{1,4}(?:[ ]\d{1,4}){2,5}(?![\w./-])")),  # odd spacing; needs 9 digits
    # Any remaining long number, or a code mixing letters and at least four digits, is a record
    # number of some kind; ICD-10 codes (a letter, two digits, a dot) and money are not.
    ("record number", re.compile(
        r"(?<![\w.£$€¥])(?![A-TV-Z]\d{2}\.)(?=[A-Za-z]{0,5}-?\d)(?:[A-Za-z]{1,5}-?\d{4,}[A-Za-z]?|\d{6,})(?!\w)"
    )),
    # An English message has few words in a non-Latin script: most are names.
    ("name", re.compile(rf"[{_NON_LATIN}]+(?:[\s·・-]+[{_NON_LATIN}]+)*")),
]
