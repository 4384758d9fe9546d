package citygen

import (
	"strconv"
	"strings"
)

// streetNames are the names given to street lines, English and Persian.
var streetNames = [][2]string{
	{"Ferdowsi", "فردوسی"}, {"Hafez", "حافظ"}, {"Saadi", "سعدی"}, {"Molavi", "مولوی"},
	{"Khayyam", "خیام"}, {"Attar", "عطار"}, {"Nezami", "نظامی"}, {"Rudaki", "رودکی"},
	{"Obeyd Zakani", "عبید زاکانی"}, {"Dehkhoda", "دهخدا"}, {"Baharestan", "بهارستان"},
	{"Golestan", "گلستان"}, {"Nasim", "نسیم"}, {"Bahar", "بهار"}, {"Laleh", "لاله"},
	{"Yas", "یاس"}, {"Nilufar", "نیلوفر"}, {"Sanaei", "سنایی"}, {"Parvin", "پروین"},
	{"Kowsar", "کوثر"}, {"Sarv", "سرو"}, {"Chenar", "چنار"}, {"Narges", "نرگس"},
	{"Shahriar", "شهریار"}, {"Daneshgah", "دانشگاه"}, {"Bazaar", "بازار"},
	{"Kamal-ol-Molk", "کمال\u200cالملک"}, {"Sepid", "سپید"}, {"Mehr", "مهر"},
	{"Azadi", "آزادی"}, {"Iranshahr", "ایرانشهر"}, {"Ghaffari", "غفاری"},
	{"Sohrevardi", "سهروردی"}, {"Jami", "جامی"}, {"Vahdat", "وحدت"}, {"Bustan", "بوستان"},
}

// persianDigits writes n with Persian digits.
func persianDigits(n int) string {
	const digits = "۰۱۲۳۴۵۶۷۸۹"
	var b strings.Builder
	for _, c := range strconv.Itoa(n) {
		if c >= '0' && c <= '9' {
			b.WriteRune([]rune(digits)[c-'0'])
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// lineName names a street line: a named boulevard or street for the first
// lines of each kind, numbered ones after, alleys (کوچه) always numbered.
func lineName(class lineClass, nameIdx, number int) (en, fa string) {
	if class == alley || class == minor {
		return "Alley " + strconv.Itoa(number), "کوچه " + persianDigits(number)
	}
	kindEn, kindFa := "St.", "خیابان"
	if class == arterial {
		kindEn, kindFa = "Blvd.", "بلوار"
	}
	if nameIdx < len(streetNames) {
		n := streetNames[nameIdx]
		return n[0] + " " + kindEn, kindFa + " " + n[1]
	}
	return "Street " + strconv.Itoa(number), kindFa + " " + persianDigits(number)
}

// zoneNames describes the detailed-plan codes of the rule book.
var zoneNames = map[string][2]string{
	"R111": {"Residential, very low density", "مسکونی با تراکم خیلی کم"},
	"R112": {"Residential, low density", "مسکونی با تراکم کم"},
	"R121": {"Residential, medium density", "مسکونی با تراکم متوسط"},
	"R122": {"Residential, medium-high density", "مسکونی با تراکم نسبتاً زیاد"},
	"R131": {"Residential, high density", "مسکونی با تراکم زیاد"},
	"M111": {"Mixed residential and commercial", "مختلط مسکونی و تجاری"},
	"S111": {"Commercial and services", "تجاری و خدماتی"},
	"G111": {"Green space", "فضای سبز"},
	"P111": {"Public services", "خدمات عمومی"},
}

// landUseNames names the master plan's land uses.
var landUseNames = map[string][2]string{
	"residential":  {"Residential area", "پهنه مسکونی"},
	"commercial":   {"Commercial area", "پهنه تجاری"},
	"mixed":        {"Mixed-use area", "پهنه مختلط"},
	"industrial":   {"Workshop and industry area", "پهنه کارگاهی و صنعتی"},
	"green":        {"Parks and gardens", "پهنه باغات و فضای سبز"},
	"public":       {"Public facilities area", "پهنه خدمات عمومی"},
	"agricultural": {"Agricultural land", "اراضی کشاورزی"},
}
