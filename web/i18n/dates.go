package i18n

import (
	"strconv"
	"time"

	"github.com/go-playground/locales"
	"github.com/go-playground/locales/ar_IQ"
	"github.com/go-playground/locales/ckb_IQ"
	"github.com/go-playground/locales/en_GB"
	"github.com/go-playground/locales/fr"
	"github.com/go-playground/locales/it"
	"github.com/go-playground/locales/ku"
)

// Dates come from CLDR through go-playground/locales: each language's long
// date pattern and month names. The catalogue only chooses the numerals
// (UI.Digits is applied afterwards).
//
// The regional variant is chosen for the readers this node is for, coalitions
// in and around Iraq:
//   - ar_IQ: Iraq (and the Levant) name the months كانون الثاني, شباط, …;
//     ar_001 ("Modern Standard") has يناير, فبراير, …, the Egyptian and Gulf
//     names, which read as foreign in Baghdad.
//   - ckb_IQ: Sorani as written in the Kurdistan Region.
//   - en_GB: "20 November 2026", the order the site always showed; en (US)
//     would be "November 20, 2026".
//
// A language added as one catalogue file and not listed here shows dates as
// 2026-11-20 in its numerals until its CLDR locale is added to dateLocales.
var dateLocales = map[string]locales.Translator{
	"en":  en_GB.New(),
	"ar":  ar_IQ.New(),
	"ckb": ckb_IQ.New(),
	"ku":  ku.New(),
	"fr":  fr.New(),
	"it":  it.New(),
}

// dateFormat writes a (UTC) day.
type dateFormat func(time.Time) string

func dateFormatFor(tag string) dateFormat {
	l, ok := dateLocales[tag]
	if !ok {
		return func(t time.Time) string { return t.Format("2006-01-02") }
	}
	return func(t time.Time) string {
		if s := l.FmtDateLong(t); s != "" {
			return s
		}
		// CLDR data for Kurmanji carries month names but no date patterns
		// (locales' FmtDateLong is empty): day, month, year, the order of
		// its CLDR medium pattern.
		return strconv.Itoa(t.Day()) + " " + l.MonthWide(t.Month()) + " " + strconv.Itoa(t.Year())
	}
}
