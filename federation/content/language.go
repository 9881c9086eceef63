package content

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// NormalizeLanguage checks a BCP 47 language tag against the IANA registry
// and returns its canonical form ("EN" → "en", "ar-iq" → "ar-IQ"). Tags that
// are malformed, unknown ("xx") or say nothing ("und") are refused.
func NormalizeLanguage(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("language is missing (use a code such as en, ar, ckb, fr)")
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", fmt.Errorf("unknown language code %q (use a BCP 47 code such as en, ar, ckb, fr)", s)
	}
	if tag == language.Und {
		return "", fmt.Errorf("language %q says nothing: use a real language code such as en, ar, ckb, fr", s)
	}
	return tag.String(), nil
}

// rtlScripts are the scripts written right to left that the languages our
// users write in (and their neighbours) use.
var rtlScripts = map[string]bool{
	"Arab": true, "Hebr": true, "Syrc": true, "Thaa": true, "Nkoo": true,
	"Adlm": true, "Rohg": true, "Mand": true, "Samr": true, "Yezi": true,
}

// Direction returns "rtl" for languages written right to left (Arabic,
// Sorani Kurdish, Persian, Hebrew, Urdu, ...) and "ltr" otherwise. An explicit
// script subtag wins: "ku-Arab" is rtl, "ckb-Latn" is ltr.
func Direction(lang string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return "ltr"
	}
	script, _ := tag.Script()
	if rtlScripts[script.String()] {
		return "rtl"
	}
	return "ltr"
}
