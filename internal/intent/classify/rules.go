package classify

// The rules are data: change a table, and Version changes with it.

// ruleVersion is bumped by hand when the rules' meaning changes.
const ruleVersion = "1.0.0"

// replacements run on the lower-cased text before it is split into words,
// for spellings that punctuation would otherwise break apart.
var replacements = [][2]string{
	{"’", "'"}, {"‘", "'"},
	{"a/c", "ac"}, {"a.c.", "ac"}, {"air conditioning", "ac"}, {"air conditioner", "ac"}, {"air con ", "ac "},
	{"carbon monoxide", "carbonmonoxide"}, {"c.o.", "co"},
	{"h.o.a.", "hoa"}, {"h.o.a", "hoa"},
	{"cc&rs", "ccr"}, {"cc&r", "ccr"},
	{"a.s.a.p.", "asap"}, {"a.s.a.p", "asap"},
	{"e.v.", "ev"},
}

// lexicon maps the forms owners write onto the lemma the rules use:
// irregular forms, contractions, British spellings and common misspellings.
// Regular plurals and -ed/-ing forms of any word a rule names need no entry
// (see inflections); an entry mapping a word to itself stops inflection
// ("fired" is not "fire", "flooring" is not "floor").
var lexicon = []struct {
	lemma string
	forms []string
}{
	// negators: every "n't" reads as "not", so "isn't working" is "not work"
	{"not", []string{"isn't", "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "don't", "dont",
		"doesn't", "doesnt", "didn't", "didnt", "won't", "wont", "can't", "cant", "cannot", "couldn't", "couldnt",
		"haven't", "havent", "hasn't", "hasnt", "hadn't", "hadnt", "shouldn't", "wouldn't", "ain't", "aint", "nt"}},
	{"no", []string{"nope"}},
	// water
	{"leak", []string{"leaks", "leaked", "leaking", "leaky", "leakage", "leek", "leeks", "leeking", "leeked", "leeky",
		"leakin", "leakng", "lekaing", "leakig"}},
	{"drip", []string{"drips", "dripped", "dripping", "drippy", "drippin", "driping"}},
	{"flood", []string{"floods", "flooded", "flooding", "floding", "flodding", "floodin", "flooeded"}},
	{"overflow", []string{"overflows", "overflowed", "overflowing", "overflowin", "overfill", "overflo"}},
	{"burst", []string{"bursted", "bursting", "exploded"}},
	{"pour", []string{"pours", "poured", "pouring", "gushing", "gush", "gushes", "spraying", "spray"}},
	{"sewage", []string{"sewerage", "sewege", "sewadge"}},
	{"plumbing", []string{"plumming", "pluming", "plumbin", "plubming", "plumbling"}},
	{"ceiling", []string{"ceilings", "celing", "cieling", "ceilling", "cealing", "seiling"}},
	{"basement", []string{"basements", "basment", "basemnt", "bsmt"}},
	{"toilet", []string{"toilets", "toilit", "toliet", "toillet", "toilett", "commode"}},
	{"faucet", []string{"faucets", "facet", "fawcet", "faucit", "tap", "taps"}},
	{"heater", []string{"heaters", "heator", "heeter"}},
	{"water", []string{"waters", "watter", "wter"}},
	// mold
	{"mold", []string{"molds", "moldy", "mould", "moulds", "mouldy", "mildew", "mildewy", "mold's", "moldey", "moud"}},
	// heat and power
	{"heat", []string{"heats", "heating", "heatting", "heet"}},
	{"furnace", []string{"furnaces", "furnance", "furnice", "furnase", "furnac"}},
	{"ac", []string{"aircon", "airconditioning", "airconditioner", "hvac", "acs"}},
	{"electrical", []string{"electric", "electricity", "electical", "electrcal", "eletrical", "elecrical", "electricle", "electrial"}},
	{"outlet", []string{"outlets", "outlett", "outlit", "oulet", "outet", "socket", "sockets", "receptacle", "receptacles", "plug", "plugs"}},
	{"spark", []string{"sparks", "sparked", "sparking", "sparky", "arcing", "arced", "sparkin"}},
	{"smell", []string{"smells", "smelled", "smelling", "smelt", "smel", "smelly", "odor", "odors", "odour", "odours", "stench", "stink", "stinks", "stinking", "reeks", "reek"}},
	{"burn", []string{"burns", "burned", "burning", "burnt", "scorched", "melted", "melting"}},
	{"freeze", []string{"freezing", "froze", "frozen", "freezin", "freezes"}},
	{"fall", []string{"fell", "fallen", "falls", "falling"}},
	{"break", []string{"breaks", "broke", "broken", "brokn", "borken", "breaking", "cracked", "busted", "bust"}},
	{"work", []string{"works", "worked", "working", "workin", "wokring", "workng", "function", "functioning"}},
	{"go", []string{"goes", "going", "went", "gone", "goin"}},
	{"turn", []string{"turns", "turned", "turning"}},
	{"lock", []string{"locks", "locked", "locking"}},
	{"run", []string{"runs", "running", "ran", "runnin"}},
	{"come", []string{"comes", "coming", "came", "comming"}},
	{"get", []string{"gets", "getting", "got", "gotten", "geting"}},
	{"emergency", []string{"emergencies", "emergancy", "emergeny", "emergancey", "emergecy", "emerency"}},
	{"urgent", []string{"urgently", "urgnet", "urgant", "urgen", "ugent"}},
	{"asap", []string{"a.s.a.p"}},
	{"immediately", []string{"immediatly", "imediately", "immediatley", "immediate"}},
	{"estimate", []string{"estimates", "estamate", "estimite", "estimat", "esitmate"}},
	{"quote", []string{"quotes", "qoute", "qoutes", "quoted", "quotation", "quotations", "qote"}},
	{"bid", []string{"bids", "biding"}},
	{"permit", []string{"permits", "permitt", "permitting", "premit"}},
	{"hoa", []string{"hoas", "hoa's"}},
	{"neighbor", []string{"neighbors", "neighbour", "neighbours", "neighbor's", "neighbour's", "nieghbor", "neigbor"}},
	{"contractor", []string{"contractors", "contracter", "contrator", "contractor's"}},
	{"fridge", []string{"refrigerator", "refrigerators", "refridgerator", "refrigerater", "fridges", "freezer"}},
	{"wonder", []string{"wondering", "wondered", "wonderin"}},
	{"question", []string{"questions", "q"}},
	{"remodel", []string{"remodels", "remodeling", "remodelling", "remodeled", "renovate", "renovating", "renovation", "renovations", "redo", "redoing", "reno"}},
	{"install", []string{"installs", "installed", "installing", "installation", "instal"}},
	{"clog", []string{"clogs", "clogged", "cloged", "clogging", "blocked"}},
	{"crack", []string{"cracks", "cracking"}},
	{"jam", []string{"jams", "jammed", "jamming", "stuck"}},
	{"chirp", []string{"chirps", "chirping", "beeping", "beeps", "beep"}},
	{"termite", []string{"termites", "termits", "termiets"}},
	{"pest", []string{"pests", "ants", "ant", "roaches", "roach", "cockroaches", "mice", "mouse", "rats", "rat", "bugs", "bug", "wasps", "wasp", "hornet", "hornets", "rodents", "rodent", "spider", "spiders"}},
	{"clean", []string{"cleans", "cleaned", "cleaning", "cleanout", "cleanin"}},
	{"gutter", []string{"gutters", "guters", "gutterz", "eavestrough", "eavestroughs"}},
	{"mow", []string{"mows", "mowed", "mowing", "mown"}},
	{"violation", []string{"violations", "violaton", "voilation"}},
	{"inspection", []string{"inspections", "inspect", "inspected", "inspecter", "inspection's", "inpection"}},
	{"refund", []string{"refunds", "refunded"}},
	{"charge", []string{"charges", "charged", "charging", "billed", "bill", "bills", "billing"}},
	{"finish", []string{"finished", "finishing", "completed", "complete"}},
	{"show", []string{"showed", "showing", "shown", "shows"}},
	// words that look inflected but are not the stem's sense
	{"fired", []string{"fired"}},
	{"fined", []string{"fined", "fine'd"}},
	{"flooring", []string{"flooring"}},
	{"sinking", []string{"sinking"}},
	{"leaning", []string{"leaning"}},
	{"spring", []string{"springs"}},
	{"heated", []string{"heated"}},
	{"pooling", []string{"pooling", "pooled"}},
	{"weed", []string{"weeds", "weeding", "weeded"}},
	{"landscaping", []string{"landscaping"}},
}

// rule is one row of the rule table. pattern is a phrase of lemmas: words
// separated by spaces, "a|b" for alternatives, "~" for a gap of up to three
// words within the clause. weight counts toward category; priority, when
// set, is the urgency the phrase implies, LOW meaning "the owner is in no
// rush" (it lowers a routine request one step). tag names the phrase for
// combos. notBefore lists words that must not follow the phrase.
type rule struct {
	pattern   string
	category  string
	weight    float64
	priority  string
	tag       string
	notBefore string
}

// Weights: 8 for a hazard, 5-6 for what the owner asks us to do (a quote, an
// approval, a dispute), 2-3 for a problem or a task, 1 for a bare object
// word. A request's kind outweighs its subject: "a quote to fix the leak" is
// a VENDOR_QUOTE.
var ruleTable = []rule{
	// --- hazards: EMERGENCY
	{"gas ~ smell, smell ~ gas|propane, gas|propane leak, rotten egg", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"spark", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"smoke", "EMERGENCY", 8, "EMERGENCY", "hazard", "detector|alarm"},
	// "fire the plumber" is a verb and "fire hazard" a risk, not a fire
	{"fire, on fire", "EMERGENCY", 8, "EMERGENCY", "hazard", "pit|place|extinguisher|inspection|marshal|code|alarm|department|sprinkler|hazard|risk|the|him|her|them|this|that|our|my|your|us"},
	{"fire hazard|risk", "REPAIR", 3, "HIGH", "", ""},
	{"smell ~ burn, burn ~ smell", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"flood", "EMERGENCY", 8, "EMERGENCY", "hazard", "zone|insurance|light|lights|plain|map|certificate"},
	{"burst ~ pipe|line|hose, pipe|line|hose ~ burst", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"water everywhere, water ~ pour, pour ~ water", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"sewage|sewer ~ back|backup|up, sewage", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"carbonmonoxide, co|carbonmonoxide ~ alarm|detector ~ go off", "EMERGENCY", 8, "EMERGENCY", "hazard", "detector|detectors|alarm|alarms"},
	{"electrocute|shock", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"exposed|live wire", "EMERGENCY", 6, "URGENT", "hazard", ""},
	{"break in|into, burglary, burglar, intruder", "EMERGENCY", 6, "URGENT", "", ""},
	{"tree ~ fall|down", "EMERGENCY", 6, "URGENT", "", ""},
	{"collapse, cave in", "EMERGENCY", 8, "EMERGENCY", "hazard", ""},
	{"not shut|turn off ~ water", "EMERGENCY", 6, "URGENT", "water_active", ""},
	{"emergency", "EMERGENCY", 2, "URGENT", "", ""},
	{"911", "EMERGENCY", 4, "EMERGENCY", "", ""},

	// --- problems: REPAIR
	{"leak", "REPAIR", 3, "HIGH", "water_active", ""},
	{"water damage", "REPAIR", 3, "HIGH", "", ""},
	{"water|rain ~ come in|through|down", "REPAIR", 3, "HIGH", "water_active", ""},
	{"overflow", "REPAIR", 3, "HIGH", "water_active", ""},
	{"puddle|pooling, standing water", "REPAIR", 2, "", "", ""},
	{"drip", "REPAIR", 2, "", "water_active", ""},
	{"no|without water", "REPAIR", 3, "URGENT", "", "damage|stain|leak|pressure"},
	{"no|without hot water", "REPAIR", 3, "HIGH", "", ""},
	{"no|without heat, heat|furnace|heater|boiler|radiator|thermostat ~ not|stop|quit work, heat|furnace|boiler ~ not turn|kick|come on, heat|furnace|boiler ~ out|dead|break, heat|furnace|heater ~ blow cold",
		"REPAIR", 3, "HIGH", "heat_loss", ""},
	{"no|without ac, ac ~ not|stop|quit work|cool, ac ~ not blow cold, ac ~ blow warm|hot", "REPAIR", 3, "HIGH", "ac_loss", ""},
	{"no|without power|electrical, power ~ out|off|down", "REPAIR", 3, "URGENT", "power_loss", ""},
	{"fridge ~ not work|cool|cold, fridge ~ dead|break|warm", "REPAIR", 3, "HIGH", "", ""},
	{"lock out", "REPAIR", 3, "URGENT", "", ""},
	{"not lock", "REPAIR", 3, "HIGH", "", ""},
	{"freeze pipe|line, pipe|line ~ freeze", "REPAIR", 3, "URGENT", "", ""},
	{"mold", "REPAIR", 3, "HIGH", "", ""},
	{"termite", "REPAIR", 3, "HIGH", "", ""},
	{"break", "REPAIR", 2, "", "", ""},
	{"not|stop|quit work, no longer work", "REPAIR", 2, "", "", ""},
	{"not turn|come|kick on|off, not flush|drain|close|open|latch|cool|heat|start|spin", "REPAIR", 2, "", "", ""},
	{"dead", "REPAIR", 2, "", "", ""},
	{"clog", "REPAIR", 2, "", "", ""},
	{"jam", "REPAIR", 2, "", "", ""},
	{"crack", "REPAIR", 2, "", "", ""},
	{"repair|fix|patch", "REPAIR", 2, "", "", ""},
	{"damage", "REPAIR", 2, "", "", ""},
	{"stain", "REPAIR", 2, "", "", ""},
	{"trip|flicker", "REPAIR", 2, "", "", ""},
	{"loose|wobbly|sag|rot|rotten", "REPAIR", 2, "", "", ""},
	{"noise|noisy|loud|rattle|squeak|squeaky|grinding|banging", "REPAIR", 2, "", "", ""},
	{"toilet ~ run", "REPAIR", 2, "", "", ""},
	{"low ~ pressure, pressure ~ low|weak, slow ~ drain, drain ~ slow", "REPAIR", 2, "", "", ""},
	{"need ~ new", "REPAIR", 2, "", "", ""},
	{"hole", "REPAIR", 1, "", "", ""},
	{"toilet|faucet|sink|pipe|plumbing|outlet|electrical|breaker|roof|shingle|siding|window|door|garage|dishwasher|washer|dryer|disposal|fridge|oven|stove|furnace|heater|boiler|ac|drywall|ceiling|foundation|railing|handrail|sprinkler|fan|light|fixture",
		"REPAIR", 0.5, "", "", ""},

	// --- routine upkeep: MAINTENANCE
	{"maintenance|upkeep|maintain", "MAINTENANCE", 3, "", "", ""},
	{"annual|annually|yearly|routine|regular|seasonal|quarterly|monthly", "MAINTENANCE", 2, "", "", ""},
	{"tune up, tuneup, service", "MAINTENANCE", 2, "", "", ""},
	{"clean", "MAINTENANCE", 3, "", "", ""},
	{"change|replace|swap ~ filter|battery", "MAINTENANCE", 3, "", "", ""},
	{"filter|battery", "MAINTENANCE", 1, "", "", ""},
	{"mow|lawn|landscaping|landscaper|hedge|weed|trim|prune|mulch", "MAINTENANCE", 2, "", "", ""},
	{"pressure|power wash", "MAINTENANCE", 3, "", "", ""},
	{"snow removal, plow|shovel", "MAINTENANCE", 3, "", "", ""},
	{"pest, exterminator|extermination, pest control", "MAINTENANCE", 3, "", "", ""},
	{"winterize|winterization|dewinterize", "MAINTENANCE", 3, "", "", ""},
	{"chimney sweep", "MAINTENANCE", 3, "", "", ""},
	{"chirp", "MAINTENANCE", 3, "", "", ""},
	{"gutter", "MAINTENANCE", 1, "", "", ""},
	{"caulk|reseal|seal", "MAINTENANCE", 2, "", "", ""},
	{"pool, hot tub", "MAINTENANCE", 1, "", "", ""},

	// --- betterment: IMPROVEMENT
	{"remodel", "IMPROVEMENT", 3, "", "", ""},
	{"upgrade|addition|extension|redesign|modernize|convert", "IMPROVEMENT", 3, "", "", ""},
	{"install|add|build, put in", "IMPROVEMENT", 2, "", "", ""},
	{"new", "IMPROVEMENT", 1, "", "", ""},
	{"deck|patio|pergola|gazebo|porch|solar|skylight|flooring|hardwood|laminate|tile|carpet|backsplash|countertop|cabinet|vanity|charger|ev|landscape, fire pit, kitchen island, walk in",
		"IMPROVEMENT", 1, "", "", ""},
	{"paint|repaint", "IMPROVEMENT", 1, "", "", ""},

	// --- rules and authorities: COMPLIANCE
	{"permit", "COMPLIANCE", 5, "", "", ""},
	// the missing permit is the problem: these negators belong to the phrase
	{"no|without|expired ~ permit|license|registration|certificate, unpermitted", "COMPLIANCE", 5, "", "", ""},
	{"violation|citation|cited", "COMPLIANCE", 6, "HIGH", "", ""},
	{"fined", "COMPLIANCE", 4, "HIGH", "", ""},
	{"code", "COMPLIANCE", 3, "", "", ""},
	{"up to code", "COMPLIANCE", 5, "", "", ""},
	{"inspection|inspector", "COMPLIANCE", 3, "", "", ""},
	{"city|county|municipal|municipality|township|borough, fire marshal|department", "COMPLIANCE", 2, "", "", ""},
	{"certificate|certification|certified|license|licence|registration|registered", "COMPLIANCE", 3, "", "", ""},
	{"regulation|ordinance|compliance|compliant|requirement|legally|law, require by law", "COMPLIANCE", 4, "", "", ""},
	{"asbestos|radon, lead paint", "COMPLIANCE", 3, "HIGH", "", ""},
	{"insurance|insurer ~ require|say|want|need", "COMPLIANCE", 4, "", "", ""},
	{"smoke|co|carbonmonoxide detector|alarm", "COMPLIANCE", 1, "", "", ""},
	{"fire extinguisher", "COMPLIANCE", 3, "", "", ""},

	// --- the association: HOA_APPROVAL
	{"hoa, homeowner association, home owners association", "HOA_APPROVAL", 6, "", "", ""},
	{"association", "HOA_APPROVAL", 4, "", "", ""},
	{"architectural ~ review|committee|control|board", "HOA_APPROVAL", 6, "", "", ""},
	{"arc|arb|acc", "HOA_APPROVAL", 4, "", "", ""},
	{"board ~ approval|approve|permission", "HOA_APPROVAL", 4, "", "", ""},
	{"approval|approve|permission", "HOA_APPROVAL", 2, "", "", ""},
	{"no|without ~ approval|permission", "HOA_APPROVAL", 2, "", "", ""},
	{"covenant|ccr|bylaws, design guidelines", "HOA_APPROVAL", 5, "", "", ""},

	// --- pricing: VENDOR_QUOTE
	{"quote", "VENDOR_QUOTE", 6, "", "", ""},
	{"estimate", "VENDOR_QUOTE", 6, "", "", ""},
	{"bid", "VENDOR_QUOTE", 6, "", "", ""},
	{"how much ~ cost|charge|run", "VENDOR_QUOTE", 4, "", "", ""},
	{"price|cost", "VENDOR_QUOTE", 1, "", "", ""},
	{"second opinion, compare", "VENDOR_QUOTE", 2, "", "", ""},

	// --- conflicts: DISPUTE
	{"dispute", "DISPUTE", 6, "", "", ""},
	{"refund", "DISPUTE", 6, "", "", ""},
	{"overcharge|overbilled|scam, ripped off", "DISPUTE", 6, "", "", ""},
	{"charge twice|double, double charge", "DISPUTE", 6, "", "", ""},
	{"wrong|incorrect ~ charge|invoice|amount", "DISPUTE", 5, "", "", ""},
	{"lawyer|attorney|sue|lawsuit, small claims, legal action", "DISPUTE", 6, "", "", ""},
	{"appeal|contest", "DISPUTE", 5, "", "", ""},
	{"unfair|unreasonable", "DISPUTE", 3, "", "", ""},
	{"refuse, not|never pay", "DISPUTE", 4, "", "", ""},
	{"complaint|complain", "DISPUTE", 3, "", "", ""},
	{"never|not finish, never|not show up, never|not return ~ call", "DISPUTE", 4, "", "", ""},
	{"poor|shoddy|terrible|sloppy|bad ~ work|job|workmanship", "DISPUTE", 4, "", "", ""},
	{"unhappy|dissatisfied, not happy|satisfied", "DISPUTE", 4, "", "", ""},
	{"encroach|boundary, property line", "DISPUTE", 4, "", "", ""},
	{"deposit|invoice|warranty", "DISPUTE", 1, "", "", ""},
	{"neighbor", "DISPUTE", 1, "", "", ""},

	// --- asking: INQUIRY
	{"question", "INQUIRY", 4, "", "", ""},
	{"wonder|curious", "INQUIRY", 4, "", "", ""},
	{"any|an|status ~ update, update on, status of", "INQUIRY", 5, "", "", ""},
	{"heard anything, hear back", "INQUIRY", 3, "", "", ""},
	{"how do|can|should i|we", "INQUIRY", 2, "", "", ""},
	{"what is|what's|day|time|date, when|where|who is, which", "INQUIRY", 2, "", "", ""},
	{"do you|guys handle|offer|do|provide, you|guys handle|offer|provide", "INQUIRY", 3, "", "", ""},
	{"can you tell, let me know, find out, info|information|explain|clarify", "INQUIRY", 2, "", "", ""},
	{"best way", "INQUIRY", 2, "", "", ""},
	{"?", "INQUIRY", 1, "", "", ""},

	// --- urgency the owner states (no category)
	{"urgent", "", 0, "URGENT", "", ""},
	{"asap|immediately, right away|now, as soon as possible", "", 0, "URGENT", "", ""},
	{"get worse|bigger|wider", "", 0, "HIGH", "", ""},
	{"spread", "", 0, "HIGH", "", ""},
	{"deadline, due by, by tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday, within ~ day, day to fix", "", 0, "HIGH", "", ""},
	{"fall|unsafe|dangerous|safety|hazard|injured|hurt, trip hazard", "", 0, "HIGH", "", ""},
	{"security|secure", "", 0, "HIGH", "", ""},
	{"no rush|hurry, not ~ urgent, not in a hurry, not a big deal, low priority, nothing urgent, no big deal, no need", "", 0, "LOW", "", ""},
	{"whenever|sometime|someday|eventually|convenient|convenience", "", 0, "LOW", "", ""},
	{"when you ~ chance|time|can", "", 0, "LOW", "", ""},
	{"at some point, next year, this|next spring|summer|fall, in the spring|summer|fall", "", 0, "LOW", "", ""},
	{"cosmetic|minor|small", "", 0, "LOW", "", ""},
	{"thinking about, considering|future", "", 0, "LOW", "", ""},

	// --- context for combos (no category, no priority)
	{"winter|cold|freeze|snow|subzero|frigid, below zero", "", 0, "", "cold", ""},
	{"heatwave|100|105|110|hot|scorching|summer, heat wave", "", 0, "", "hot", ""},
	{"elderly|baby|infant|newborn|toddler|disabled|oxygen|medical|pregnant|mom|dad|grandma|grandpa", "", 0, "", "vulnerable", ""},
	{"outlet|electrical|panel|breaker|light|fixture|wire", "", 0, "", "electric", ""},
}

// combos raise the priority when two kinds of phrase occur together
// anywhere in the request ("no heat" and "freezing").
var comboTable = []struct {
	tags     []string
	priority string
	category string
	label    string
}{
	{[]string{"heat_loss", "cold"}, "URGENT", "", "no heat in the cold"},
	{[]string{"heat_loss", "vulnerable"}, "URGENT", "", "no heat with a vulnerable occupant"},
	{[]string{"ac_loss", "hot"}, "URGENT", "", "no cooling in the heat"},
	{[]string{"ac_loss", "vulnerable"}, "URGENT", "", "no cooling with a vulnerable occupant"},
	{[]string{"power_loss", "vulnerable"}, "EMERGENCY", "", "no power with a vulnerable occupant"},
	{[]string{"water_active", "electric"}, "URGENT", "", "water near electrics"},
}

// comboWeight is what a combo adds to its category, when it names one.
const comboWeight = 4

// negators open a negation scope over the words after them.
var negators = []string{"not", "no", "never", "without", "nothing", "none", "nor", "neither", "zero"}

// pseudoNegations start with a negator but negate nothing that follows.
var pseudoNegations = []string{"not sure", "no idea", "not know", "not only", "not just", "not certain",
	"no matter", "not to mention", "no clue", "no doubt", "not think", "not realize", "no longer"}

// scopeBreakers end a negation's scope: "no leak but the ceiling is wet".
var scopeBreakers = []string{"but", "and", "though", "although", "however", "yet", "because", "so", "also",
	"plus", "then", "except", "still", "now", "anymore"}

// fillers do not count toward the negation window: "no sign of any leak".
var fillers = []string{"a", "an", "the", "any", "some", "my", "our", "their", "his", "her", "of", "sign", "signs",
	"evidence", "visible", "active", "real", "actual", "really", "more", "obvious", "apparent", "is", "are",
	"be", "been", "it", "it's", "there", "there's", "we", "i", "see", "seeing", "seen", "notice", "noticed",
	"anything", "like", "longer", "even", "that", "this", "was"}

// negationWindow is how many content words before a phrase a negator may be.
const negationWindow = 3

// defaultPriority is a category's priority when no phrase implies one.
var defaultPriority = map[string]string{
	"EMERGENCY": "EMERGENCY", "REPAIR": "NORMAL", "MAINTENANCE": "NORMAL", "IMPROVEMENT": "LOW",
	"COMPLIANCE": "NORMAL", "HOA_APPROVAL": "NORMAL", "VENDOR_QUOTE": "NORMAL", "DISPUTE": "NORMAL",
	"INQUIRY": "LOW", "OTHER": "NORMAL",
}

// precedence breaks ties between equal scores, most consequential first;
// its last entry is the category of a request nothing was recognised in.
var precedence = []string{"EMERGENCY", "COMPLIANCE", "DISPUTE", "HOA_APPROVAL", "VENDOR_QUOTE", "REPAIR",
	"IMPROVEMENT", "MAINTENANCE", "INQUIRY", "OTHER"}
