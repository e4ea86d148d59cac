package nlp

// cue kinds: linguistic triggers the engine recognizes beside vocabulary concepts. They are
// words of everyday clinical talk, not clinical facts, so they live in code.
type cueKind uint64

const (
	cueNegPre cueKind = 1 << iota
	cueNegPost
	cuePossPre
	cuePossPost
	cueHypoPre
	cueHistPre
	cueHistPost
	cueFamPre
	cueFamPost
	cueTerm
	cueMedNewRx
	cueMedNewOTC
	cueMedChanged
	cueMedStopped
	cueMedHist
	cueMedConsidered
	cueMedActive
	cueMedRefill
	cueOrder
	cueOrderPast
	cueAnswerNo
	cueAnswerYes
	cueFreq
	cueRoute
	cueUnit
	cueFollowup
	cueAllergy
	cueNKDA
	cueQuestion
	cueAssess
	cuePainVerb
	cueFloated
	cueRisk
)

// notConcepts are phrases whose words include a concept's name without naming it: the
// procedure's "shock wave" is not circulatory shock, "flu like" symptoms are not influenza,
// "it burns" is a sensation, not a burn injury, "anxious about" a visit is not an anxiety
// disorder.
var notConcepts = []string{"shock wave", "shockwave", "flu like", "flu-like", "it burns", "it just burns",
	"that burns", "anxious about", "anxious to", "stroke volume"}

var cueLists = map[cueKind][]string{
	// A doctor listing the risks of a procedure or drug names conditions that may happen:
	// everything after it in the turn is hypothetical.
	cueRisk: {"risks", "risk of", "complications", "complication", "potential side effects",
		"possible side effects", "side effects include", "side effects can include"},
	cueNegPre: {"i haven't", "i have not", "i don't", "i haven't had", "i have not had", "i don't have",
		"i didn't have", "i've not had", "i haven't noticed", "i don't get", "i haven't been", "no", "not", "denies", "denied", "deny", "denying", "without", "never", "negative for",
		"free of", "absence of", "no evidence of", "no sign of", "no signs of", "don't have", "dont have",
		"didn't have", "haven't had", "hasn't had", "haven't noticed", "haven't been", "not having", "none",
		"neither", "nor", "ruled out", "doesn't have", "no history of",
		"doesn't look like", "don't see", "not see", "don't think you have", "you do not have", "no more",
		"negative", "nothing like", "no issues with", "no problems with", "no real"},
	cueNegPost: {"is negative", "was negative", "were negative", "ruled out", "is normal", "was normal",
		"not present", "is absent", "was absent", "gone", "went away", "has resolved", "resolved",
		"free", "are negative", "unlikely", "not an issue", "not a problem"},
	cuePossPre: {"possible", "possibly", "probable", "probably", "likely", "most likely", "might", "might be",
		"may be", "maybe", "suspect", "suspicious for", "suspicion of", "concern for", "concerned about",
		"concerning for", "worried about", "rule out", "r/o", "could be", "could have", "question of",
		"differential", "think it might", "potential", "sounds like", "seems like", "looks like", "what looks like", "appears to be", "perhaps", "borderline",
		"evaluate for", "check for", "looking for", "screen for", "screening for", "test for"},
	cuePossPost: {"is possible", "is likely", "is suspected", "versus", "vs", "or not", "is a possibility"},
	cueHypoPre: {"if", "in case", "should you", "watch for", "look out for", "call me if", "call if",
		"risk of", "risk for", "to prevent", "prevent", "side effect", "side effects", "can cause",
		"could cause", "may cause", "might cause", "cause", "whether", "unless",
		"to see if", "any time you", "anytime you", "in the event", "develop",
		"develops", "start having", "like i was having", "like i'm having", "like i was going to have", "as if", "felt like a", "feels like a", "felt like i had", "like i had a"},
	cueHistPre: {"used to have", "years ago", "in the past", "previously", "back in", "when i was",
		"as a child", "had a history of"},
	cueHistPost: {"years ago", "in the past", "as a child", "when i was younger", "resolved", "went away"},
	cueFamPre: {"mother", "mom", "father", "dad", "brother", "sister", "grandmother", "grandfather",
		"grandma", "grandpa", "aunt", "uncle", "cousin", "family history", "parents", "parent",
		"sibling", "son", "daughter", "wife", "husband", "kids", "kid", "children", "child", "niece",
		"nephew", "mother's", "father's", "family member", "family members", "relatives", "relative",
		"friend", "friends", "boyfriend", "girlfriend", "partner", "coworker", "neighbor", "baby",
		"anyone in your family", "anybody in your family", "anyone in the family", "anybody in the family",
		"in your family with", "in the family with", "anyone in your family have", "runs in your family"},
	cueFamPost: {"runs in my family", "runs in the family", "in my family", "in the family"},
	cueTerm: {"but", "however", "although", "though", "except", "aside from", "apart from", "other than",
		"still", "yet", "which", "who", "because", "since", "so", "and i", "and he", "and she", "and it",
		"and i'm", "and i'll", "and we'll", "and we", "and you", "and then i", "i'm also", "i'll also",
		"i have", "i've had", "i've been", "i do", "i did", "yes", "right", "now",
		"as well", "just", "also", "and then", "when", "ok", "um", "uh", "well", "then", "positive",
		"there is", "there's", "there are", "there was", "you have", "you do have", "he has", "she has",
		"noted", "it is", "it's", "do have", "does have", "i do see", "i see", "i can see", "i feel",
		"i did", "i appreciate", "i hear", "i do hear", "on exam", "on examination", "exam"},
	cueMedNewRx: {"start", "start you on", "starting", "prescribe", "prescribing", "prescription",
		"put you on", "putting you on", "begin", "add", "adding", "send in", "send", "sent", "call in",
		"i'll give you", "going to give you", "gonna give you", "trial of", "give you", "give you some", "get you some", "get you on", "get you started on",
		"a course of", "course of", "new prescription", "order", "write you", "write for"},
	cueMedRefill: {"refill", "refills", "refill of", "renew", "another prescription"},
	cueMedNewOTC: {"you can take", "take some", "i want you to take", "try taking", "you could take",
		"over the counter", "recommend", "recommend taking", "take", "use", "keep using"},
	cueMedChanged: {"increase", "increasing", "increase it", "decrease", "decreasing", "bump", "bump up",
		"go up", "go up on", "up the dose", "change", "changing", "switch", "switching", "double",
		"reduce", "lower", "lower the dose", "cut back", "titrate", "adjust", "higher dose",
		"instead of", "up your", "raise the dose", "raise your dose", "raise it", "raise the"},
	cueMedStopped: {"stop", "stop taking", "stop using", "stopped taking", "quit taking", "stopping", "stopped",
		"come off of", "get off of", "discontinue the", "no longer taking", "not taking", "don't take", "discontinue", "discontinued", "quit", "hold off on",
		"hold", "come off", "get off", "off of", "ran out", "no longer", "don't take", "not taking",
		"d/c", "taper off"},
	cueMedHist: {"used to take", "used to be on", "i took", "took", "tried", "i was on", "was on",
		"didn't help", "did not help", "didn't work", "in the past", "previously", "before",
		"had taken", "had tried", "years ago", "at one point"},
	cueMedConsidered: {"consider", "considering", "could try", "we could", "could consider", "option",
		"options", "might try", "maybe try", "thinking about", "think about", "alternatively",
		"what about", "how about", "would you be interested", "interested in", "possibility",
		"discuss", "talk about", "if that doesn't", "if it doesn't", "down the road", "eventually"},
	cueMedActive: {"continue", "continuing", "continue to take", "continue taking", "continue on",
		"continue with", "had put you on", "we put you on", "had started you on", "we started you on",
		"was started on", "they put me on", "put me on", "started me on", "i'm still on", "keep taking", "stay on", "still taking", "still on",
		"i take", "i'm taking", "i am taking", "i've been taking", "been taking", "you're taking",
		"you're on", "i'm on", "currently", "taking", "remain on", "keep you on", "same dose"},
	cueOrder: {"order", "ordering", "ordered", "get", "getting", "check", "checking", "recheck",
		"schedule", "scheduling", "send", "sending", "refer", "referral", "refer you", "referring",
		"i want", "i'd like", "i would like", "we'll", "we will", "we're going to", "we are going to",
		"i'm going to", "i am going to", "i'll", "let's", "lets", "going to", "need", "needs",
		"obtain", "draw", "do", "perform", "set you up", "set up", "arrange", "recommend",
		"put in", "have you", "go ahead", "plan", "repeat", "sign you up", "prescribe", "start",
		"use", "wear", "follow", "consult", "see", "put you in", "have you use", "get you in", "get you into", "put in an order", "put in a referral"},
	cueOrderPast: {"came back", "showed", "shows", "showed that", "results", "result", "was normal",
		"were normal", "last", "had a", "you had", "we did", "did", "reviewed", "review",
		"looked at", "revealed", "demonstrated", "ago", "already",
		"got", "i had", "have had", "has been", "normal", "elevated", "high", "low", "been getting",
		"you've been", "you're getting", "you are getting", "receiving", "currently", "you're on",
		"you've had", "you had", "underwent", "status post", "s/p", "prior", "previous", "before",
		"had you", "we had", "continue", "continuing", "continue with", "current", "regimen", "discussion of", "discussed", "talked about", "we talked", "versus", "vs", "sent me", "referred me", "they referred", "was referred", "they sent", "had me", "they ordered", "he ordered", "she ordered", "had ordered", "was ordered", "were ordered", "doctor ordered"},
	cueAnswerNo: {"no", "not really", "not that i know", "not that i've noticed", "i don't think so",
		"don't think so", "negative", "never", "none", "not at all", "no sir", "no ma'am", "nothing",
		"i haven't", "haven't", "i have not", "i don't", "not any", "nah", "nope", "i haven't had",
		"i have not had", "i don't have", "i didn't have", "i've not had", "i haven't noticed", "i don't get",
		"i haven't been"},
	cueAnswerYes: {"yes", "yeah", "yep", "i do", "i have", "a little", "a bit", "sometimes", "uh-huh",
		"mm-hmm", "correct", "right", "definitely", "absolutely", "some", "kind of", "sort of"},
	cueFollowup: {"follow up", "follow-up", "followup", "see you back", "see you again", "see you in",
		"come back", "come back in", "return", "check back", "back in", "recheck", "see me",
		"touch base", "next visit", "follow up with me", "check in", "reassess", "see you"},
	cueAllergy: {"allergic to", "allergy to", "allergies to", "allergic reaction to", "reaction to",
		"allergic", "allergy", "allergies", "can't take", "cannot take", "sensitive to", "intolerant to"},
	cueNKDA: {"no known drug allergies", "no known allergies", "nkda", "no drug allergies",
		"no allergies", "no medication allergies", "no known medication allergies",
		"not allergic to anything", "no allergies to medications", "not allergic to any",
		"don't have any allergies", "no allergies to any medications"},
	// The doctor's assessment and plan name the problems they address.
	cueAssess: {"concerned about", "not too concerned about", "worried about", "for your", "regarding your", "in terms of your", "as far as your", "as for your",
		"with regards to your", "with regard to your", "diagnosis", "diagnosed with", "you have",
		"you've got", "you have got", "you do have", "you're having", "you are having", "consistent with",
		"i think you have", "i believe you have", "sounds like you have", "looks like you have",
		"suffering from", "presents with", "presenting with", "complains of", "here for", "in for",
		"came in for", "coming in for", "follow up of", "follow-up of", "treat your", "treat the",
		"manage your", "managing your", "for the", "next problem", "first problem", "concern is",
		"due to", "caused by", "secondary to", "what's going on with your", "issue with your",
		"come in with", "came in with", "coming in with", "sent you over for", "sent you in for",
		"sent you here for", "presents today with", "presenting today with", "complaining of",
		"here today for", "in today for", "problem of", "regards to your", "in regards to", "dealing with",
		"reason for your visit", "here to see me for", "in to see me for", "i think you're", "i think you've got", "you also have", "you still have", "you also have some", "you're retaining"},
	// A body site with a pain verb is a pain finding: "my knee has been killing me".
	cuePainVerb: {"hurts", "hurting", "hurt", "killing me", "been killing me", "is killing me",
		"sore", "aching", "achy", "aches", "bothering me", "been bothering me", "painful",
		"is painful", "is sore", "been sore", "been hurting", "is hurting", "acting up"},
	// A plan only floated is not an order: "we might do some physical therapy".
	cueFloated: {"might", "maybe", "possibly", "perhaps", "might do", "may want to", "might want to"},
	// Spoken questions often reach the transcript without a question mark.
	cueQuestion: {"have you", "have you had", "have you been", "have you noticed", "do you", "did you",
		"are you", "any", "anything", "is there", "was there", "does it", "does that", "did it", "has it",
		"have there been", "how about", "what about", "were you", "can you", "could you", "is it",
		"or anything", "or anything like that", "any other", "how is", "how are", "how's", "how has",
		"how have", "what", "when did", "where is", "where does", "do you have", "you have any",
		"you had any", "you been having any", "experiencing any", "noticed any"},
}

// freqForms normalize frequency phrases to the contract's light normal form.
var freqForms = map[string]string{
	"once a day": "daily", "one time a day": "daily", "a day": "daily", "daily": "daily",
	"every day": "daily", "each day": "daily", "per day": "daily", "once daily": "daily",
	"qd": "daily", "q day": "daily", "every morning": "daily", "each morning": "daily",
	"in the morning": "daily", "once in the morning": "daily", "one a day": "daily", "a night": "daily",
	"every night": "at bedtime", "nightly": "at bedtime", "at night": "at bedtime", "at bedtime": "at bedtime",
	"before bed": "at bedtime", "qhs": "at bedtime", "hs": "at bedtime", "before bedtime": "at bedtime",
	"twice a day": "twice daily", "two times a day": "twice daily", "twice daily": "twice daily",
	"bid": "twice daily", "b.i.d": "twice daily", "two times daily": "twice daily", "twice per day": "twice daily",
	"2 times a day": "twice daily", "morning and night": "twice daily", "morning and evening": "twice daily",
	"three times a day": "three times daily", "three times daily": "three times daily", "tid": "three times daily",
	"3 times a day": "three times daily", "with meals": "three times daily with meals",
	"four times a day": "four times daily", "four times daily": "four times daily", "qid": "four times daily",
	"4 times a day": "four times daily",
	"as needed":     "as needed", "prn": "as needed", "as necessary": "as needed", "when needed": "as needed",
	"if needed": "as needed", "when you need it": "as needed", "when needed for pain": "as needed",
	"weekly": "weekly", "once a week": "weekly", "every week": "weekly", "a week": "weekly", "per week": "weekly",
	"twice a week": "twice weekly", "every other day": "every other day", "monthly": "monthly",
	"once a month": "monthly", "every month": "monthly",
	"q 4 h": "every 4 hours", "q 6 h": "every 6 hours", "q 8 h": "every 8 hours", "q 12 h": "every 12 hours",
	"q4h": "every 4 hours", "q6h": "every 6 hours", "q8h": "every 8 hours", "q12h": "every 12 hours",
	"q4": "every 4 hours", "q6": "every 6 hours", "q8": "every 8 hours", "q12": "every 12 hours",
}

var routeForms = map[string]string{
	"by mouth": "oral", "orally": "oral", "oral": "oral", "po": "oral", "pill": "oral", "tablet": "oral",
	"topical": "topical", "topically": "topical", "cream": "topical", "ointment": "topical", "gel": "topical",
	"patch": "transdermal", "inhaler": "inhaled", "inhaled": "inhaled", "nebulizer": "inhaled", "puff": "inhaled",
	"injection": "injection", "shot": "injection", "subcutaneous": "subcutaneous", "subcutaneously": "subcutaneous",
	"intravenous": "intravenous", "iv": "intravenous", "intramuscular": "intramuscular",
	"nasal spray": "nasal", "nasal": "nasal", "eye drop": "ophthalmic", "eye drops": "ophthalmic",
	"suppository": "rectal", "sublingual": "sublingual", "under the tongue": "sublingual",
}

var unitForms = map[string]string{
	"mg": "mg", "mcg": "mcg", "ug": "mcg", "g": "g", "ml": "ml", "unit": "units", "units": "units",
	"iu": "units", "international units": "units", "meq": "meq", "puff": "puffs", "puffs": "puffs",
	"tablet": "tablets", "tablets": "tablets", "pill": "tablets", "capsule": "capsules", "capsules": "capsules",
	"drop": "drops", "drops": "drops", "percent": "%", "milligram": "mg", "milligrams": "mg",
	"micrograms": "mcg", "microgram": "mcg", "grams": "g", "gram": "g", "extra strength": "extra strength",
	"teaspoon": "teaspoons", "teaspoons": "teaspoons", "tablespoon": "tablespoons",
}

// timeUnits are the units of durations and follow-up intervals.
var timeUnits = map[string]string{
	"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
	"year": "year", "years": "year", "hour": "hour", "hours": "hour",
}

// internalOrders are plans that are orders of kind "other" or referrals named by specialty;
// they carry no code, so they need no source.
var internalOrders = []struct {
	kind  string
	term  string
	forms []string
}{
	{"other", "physical therapy", []string{"physical therapy", "pt", "physical therapist", "physiotherapy", "therapy"}},
	{"other", "occupational therapy", []string{"occupational therapy"}},
	{"other", "brace", []string{"brace", "knee brace", "wrist brace", "ankle brace", "back brace"}},
	{"other", "crutches", []string{"crutches", "crutch"}},
	{"other", "splint", []string{"splint", "foam splint"}},
	{"other", "sling", []string{"sling"}},
	{"other", "boot", []string{"walking boot", "boot", "cam boot"}},
	{"other", "cast", []string{"cast"}},
	{"other", "low sodium diet", []string{"low sodium diet", "low salt diet", "low-sodium diet", "low sodium", "low salt",
		"cut back on salt", "cut down on salt", "limit your salt", "limit your sodium", "decrease your salt intake",
		"reduce your salt intake", "reduce your sodium intake", "decrease your sodium intake", "lower that salt intake",
		"lower your salt intake"}},
	{"other", "urine strainer", []string{"urine strainer", "strain your urine", "strainer"}},
	{"other", "diet", []string{"diabetic diet", "low carb diet", "low fat diet", "heart healthy diet", "bland diet"}},
	{"other", "home blood pressure monitoring", []string{"check your blood pressure", "monitor your blood pressure", "blood pressure cuff", "keep a log of your blood pressure",
		"record your blood pressure", "blood pressure at home", "blood pressures at home", "track your blood pressure",
		"log your blood pressure", "blood pressure log", "check your blood pressures", "take your blood pressure"}},
	{"other", "blood glucose monitoring", []string{"check your blood sugar", "monitor your blood sugar", "check your sugars", "glucometer"}},
	{"other", "daily weight monitoring", []string{"weigh yourself", "weight yourself", "daily weights"}},
	{"other", "compression stockings", []string{"compression stockings", "compression socks"}},
	{"other", "cpap", []string{"cpap"}},
	{"referral", "cardiology", []string{"cardiology", "cardiologist", "heart doctor"}},
	{"referral", "endocrinology", []string{"endocrinology", "endocrinologist"}},
	{"referral", "gastroenterology", []string{"gastroenterology", "gastroenterologist", "gi doctor"}},
	{"referral", "nephrology", []string{"nephrology", "nephrologist", "kidney doctor", "kidney specialist"}},
	{"referral", "neurology", []string{"neurology", "neurologist"}},
	{"referral", "orthopedics", []string{"orthopedics", "orthopedic surgeon", "orthopedist", "ortho", "orthopaedic surgeon"}},
	{"referral", "hematology", []string{"hematology", "hematologist"}},
	{"referral", "oncology", []string{"oncology", "oncologist"}},
	{"referral", "dermatology", []string{"dermatology", "dermatologist"}},
	{"referral", "ophthalmology", []string{"ophthalmology", "ophthalmologist", "eye doctor"}},
	{"referral", "pulmonology", []string{"pulmonology", "pulmonologist", "lung doctor"}},
	{"referral", "rheumatology", []string{"rheumatology", "rheumatologist"}},
	{"referral", "urology", []string{"urology", "urologist"}},
	{"referral", "nutrition", []string{"nutritionist", "dietitian", "dietician", "nutrition"}},
	{"referral", "psychiatry", []string{"psychiatry", "psychiatrist"}},
	{"referral", "psychology", []string{"psychologist", "therapist", "counselor", "counseling"}},
	{"referral", "podiatry", []string{"podiatry", "podiatrist"}},
	{"referral", "ent", []string{"ent", "ear nose and throat"}},
	{"referral", "surgery", []string{"surgeon", "general surgery"}},
	{"referral", "allergy", []string{"allergist"}},
	{"referral", "pain management", []string{"pain management", "pain clinic"}},
	{"referral", "sleep medicine", []string{"sleep study", "sleep medicine"}},
	{"referral", "obstetrics and gynecology", []string{"gynecologist", "obgyn", "ob-gyn"}},
}

// numberWords are added to the dictionary so spoken numbers can be read back from token ids.
var numberWords = []string{"hundred", "thousand", "point", "and", "half", "to", "or", "in", "of", "a",
	"an", "the", "every", "hours", "hour", "mg", "few", "several", "next", "at", "yourself", "for",
	"it", "that", "this", "them", "dose", "medication", "medicine", "pill", "right", "left", "about",
	"approximately", "roughly", "around", "like", "maybe", "another", "just"}
